// The panel's HTML shell and its Content Security Policy, as a pure function so the policy the
// host serves is the one the webview DOM test loads.

export interface PanelHtmlInput {
  /** `webview.cspSource`: the origin that may serve styles, fonts and images. */
  cspSource: string;
  /** Fresh per load; only scripts carrying it run. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource}`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function panelHtml(i: PanelHtmlInput): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(panelCsp(i.cspSource, i.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(i.styleUri)}">
<title>Stage Lens</title>
</head>
<body>
<stage-lens-app></stage-lens-app>
<script type="module" nonce="${attr(i.nonce)}" src="${attr(i.scriptUri)}"></script>
</body>
</html>`;
}
