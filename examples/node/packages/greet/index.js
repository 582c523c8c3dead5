'use strict';
// The example's runtime dependency: what the server answers with.
function greeting(name) {
  return `hello from node, ${name}`;
}

function stats(values) {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : 0;
  const pstdev = n ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n) : 0;
  return { count: n, mean, pstdev };
}

module.exports = { greeting, stats };
