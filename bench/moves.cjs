// The sustained load's moves (bench/sustained.py): one JSON config on stdin, one JSON answer on
// stdout. Each agent has a keep-alive HTTP agent of its own holding one connection, and makes
// moves j, j + agents, j + 2 × agents … (j its index) of the run, each at its slot (slot / rate
// seconds after the start) or as soon as its previous move is answered, whichever is later: an
// agent's moves stay in order, and the rate is reached unless the server answers too slowly.
// No move is asked once `seconds` have passed (a slow server is not waited on for every move
// of the run: the moves in flight are answered, and the answer says how many were made).
// Moves pause and resume in turn, starting from each agent's `moved` count (pausing when even).
//   config: {url, token, agents: [{id, moved}], rate, seconds, query: {pause, resume}}
//   answer: {moves, asked (the run's moves, rate × seconds), seconds, latencies (ms, each
//            move's answer), errors (first few), failed}
//   usage: node moves.cjs < config.json
'use strict'
const http = require('node:http')

function readStdin () {
  return new Promise((resolve) => {
    const chunks = []
    process.stdin.on('data', (chunk) => chunks.push(chunk))
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString()))
  })
}

function post (agent, url, headers, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers }, (response) => {
      const chunks = []
      response.on('data', (chunk) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString() }))
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(body)
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function main () {
  const config = JSON.parse(await readStdin())
  const url = new URL(config.url)
  const total = Math.round(config.rate * config.seconds)
  const count = config.agents.length
  const latencies = []
  const errors = []
  let failed = 0
  const started = performance.now()
  const deadline = started + config.seconds * 1000 + 100 // a timer late by a tick loses no move

  async function moves (index, { id, moved }) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    let made = moved
    try {
      for (let slot = index; slot < total; slot += count) {
        const delay = started + (slot * 1000) / config.rate - performance.now()
        if (delay > 0) await sleep(delay)
        if (performance.now() >= deadline) break // the run is over: what was made is reported
        const query = made % 2 === 0 ? config.query.pause : config.query.resume
        const body = JSON.stringify({ query, variables: { id } })
        const headers = {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${config.token}`
        }
        const sent = performance.now()
        const answer = await post(agent, url, headers, body)
        latencies.push(performance.now() - sent)
        if (answer.status !== 200 || answer.body.includes('"errors"')) {
          failed += 1
          if (errors.length < 5) errors.push(`${answer.status}: ${answer.body.slice(0, 300)}`)
          return made - moved // an agent whose move failed stops: its next verb is unknown
        }
        made += 1
      }
    } finally {
      agent.destroy()
    }
    return made - moved
  }

  const made = await Promise.all(config.agents.map((agent, index) => moves(index, agent)))
  const seconds = (performance.now() - started) / 1000
  const moved = made.reduce((sum, n) => sum + n, 0)
  process.stdout.write(JSON.stringify({ moves: moved, asked: total, made, seconds, latencies, errors, failed }) + '\n')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
