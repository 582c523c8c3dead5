'use strict';
// The example's HTTP API: GET / (greeting) and GET /stats?values=1,2,3.
// `--self-test` starts it on a loopback port, asks both routes once, prints the answers and
// exits, so a container without a network can show that it works.
const http = require('node:http');
const { greeting, stats } = require('@stagelens-example/greet');

function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  let body;
  if (url.pathname === '/') body = { message: greeting('stage lens') };
  else if (url.pathname === '/stats') body = stats((url.searchParams.get('values') ?? '').split(',').filter(Boolean).map(Number));
  else { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const server = http.createServer(handle);
const selfTest = process.argv.includes('--self-test');
const port = selfTest ? 0 : Number(process.env.PORT ?? 3000);

server.listen(port, selfTest ? '127.0.0.1' : '0.0.0.0', async () => {
  if (!selfTest) { console.log(`listening on ${port}`); return; }
  for (const p of ['/', '/stats?values=2,4,4,4,5,5,7,9']) {
    const { status, text } = await get(server.address().port, p);
    console.log(`${p} ${status} ${text}`);
  }
  server.close();
});

function get(port, p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => resolve({ status: res.statusCode, text }));
    }).on('error', reject);
  });
}
