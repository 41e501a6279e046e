// The bench's load generator, one process for the whole bench (bench/load.py): each line on stdin
// is a run — drive one GraphQL endpoint with autocannon for `seconds`: POST, JSON body, N
// keep-alive connections — answered by one line on stdout. A warm-up also names `minResponses`:
// it stops as soon as that many responses are back (and `minSeconds` have passed), else at
// `seconds`. A run may name `variants` ({body, headers} each): requests then take them in turn
// (e.g. one agent token per agent, each beating for its own agent). Prints one JSON object with
// every 2xx latency (ms, from autocannon's hrtime-based timer; its own percentiles are whole ms)
// and the failures: non-2xx, socket errors, timeouts, and bodies holding "errors" (mismatches).
//   usage: node drive.cjs AUTOCANNON_MODULE_DIR   (then one JSON config per line on stdin)
'use strict'
const readline = require('node:readline')
const autocannon = require(process.argv[2])

function rotating (variants) {
  let next = 0
  return [{
    setupRequest: (request) => {
      const variant = variants[next++ % variants.length]
      return { ...request, body: variant.body, headers: { ...request.headers, ...variant.headers } }
    }
  }]
}

function run (config) {
  return new Promise((resolve, reject) => {
    const latencies = []
    const started = process.hrtime.bigint()
    const instance = autocannon({
      url: config.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...config.headers },
      body: config.body,
      requests: config.variants ? rotating(config.variants) : undefined,
      connections: config.clients,
      duration: config.seconds,
      // autocannon checks for the end (and for stop()) once per sample: every 100 ms, not 1 s
      sampleInt: 100,
      timeout: 30,
      verifyBody: (body) => !body.includes('"errors"')
    }, (error, result) => {
      if (error) return reject(error)
      resolve({
        latencies,
        seconds: (result.finish - result.start) / 1000,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        mismatches: result.mismatches
      })
    })
    instance.on('response', (client, statusCode, bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime)
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9
      if (config.minResponses && latencies.length >= config.minResponses && elapsed >= config.minSeconds) {
        instance.stop()
      }
    })
  })
}

async function main () {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line.trim()) process.stdout.write(JSON.stringify(await run(JSON.parse(line))) + '\n')
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
