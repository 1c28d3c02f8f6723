#!/usr/bin/env node
// abraxas.js - the npm `abraxas` package (2.1.10): a Gearman server, client and worker in Node.js.
//
//   node abraxas.js server PORT             the abraxas server on 127.0.0.1:PORT (its job handles
//                                           are job:N, not gearmand's H:host:N)
//   node abraxas.js worker PORT STOPFILE    worker (maxJobs 4) for ab_upper, ab_boom (throws:
//                                           WORK_EXCEPTION, then WORK_FAIL), ab_nope (task.error():
//                                           the same pair with an empty text) and ab_slow
//                                           (WORK_STATUS 1/3 and 2/3, then the result after 50 ms)
//   node abraxas.js client PORT             submits them all at once (pipelined on one
//                                           connection), and five background ab_upper jobs
//
// The client prints one line per submitted job: JOB <kind> <function> <payload> <result>.
'use strict'
const fs = require('fs')
const Gearman = require('abraxas')

const [mode, portArg, stopFile] = process.argv.slice(2)
const port = Number(portArg)
const servers = ['127.0.0.1:' + port]

function server() {
  const s = Gearman.Server.listen({ port, host: '127.0.0.1' })
  s.on('error', (e) => { console.error('abraxas server error', e); process.exit(1) })
}

function worker() {
  const c = Gearman.Client.connect({ servers, defaultEncoding: 'utf8', maxJobs: 4 })
  c.registerWorker('ab_upper', (t) => t.payload.toUpperCase())
  c.registerWorker('ab_boom', (t) => { throw new Error('bad input ' + t.payload) })
  c.registerWorker('ab_nope', (t) => { t.error() })
  c.registerWorker('ab_slow', (t) => {
    t.status(1, 3)
    return new Promise((resolve) => setTimeout(() => { t.status(2, 3); resolve('done ' + t.payload) }, 50))
  })
  const timer = setInterval(() => {
    if (fs.existsSync(stopFile)) { clearInterval(timer); c.disconnect(); setTimeout(() => process.exit(0), 200) }
  }, 100)
}

function client() {
  const c = Gearman.Client.connect({ servers, defaultEncoding: 'utf8' })
  let open = 0
  const submit = (fn, payload, background) => {
    open++
    const kind = background ? 'background' : 'foreground'
    const done = (err, res) => {
      console.log(['JOB', kind, fn, payload, err ? 'error:' + String(err.message || err).replace(/\s+/g, '_') : String(res).replace(/\s+/g, '_')].join(' '))
      if (--open === 0) c.disconnect()
    }
    if (background) c.submitJobBg(fn, payload, done)
    else c.submitJob(fn, payload, done)
  }
  for (let i = 0; i < 20; i++) submit('ab_upper', 'abc' + i)
  for (let i = 0; i < 5; i++) submit('ab_boom', 'x' + i)
  for (let i = 0; i < 5; i++) submit('ab_nope', 'y' + i)
  for (let i = 0; i < 6; i++) submit('ab_slow', 's' + i)
  for (let i = 0; i < 5; i++) submit('ab_upper', 'bg' + i, true)
}

if (mode === 'server') server()
else if (mode === 'worker') worker()
else if (mode === 'client') client()
else { console.error('usage: abraxas.js server|worker|client PORT [STOPFILE]'); process.exit(2) }
