#!/usr/bin/env node
'use strict';
// A stand-in for a bundler (esbuild, tsc…): syntax-checks every file of src/ and writes it to
// dist/ with a build banner. It is a devDependency, so it must not ship in the runtime image.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const [src = 'src', out = 'dist'] = process.argv.slice(2);
fs.mkdirSync(out, { recursive: true });
let n = 0;
for (const f of fs.readdirSync(src).filter((x) => x.endsWith('.js')).sort()) {
  const code = fs.readFileSync(path.join(src, f), 'utf8');
  new vm.Script(code, { filename: f }); // throws on a syntax error: the build fails
  fs.writeFileSync(path.join(out, f), `// built by minibuild from ${src}/${f}\n${code}`);
  n++;
}
console.log(`minibuild: ${n} file(s) -> ${out}/`);
