#!/usr/bin/env node
// node_gearman.js - the npm `node-gearman` package (0.2.2, andris9) as its README uses it:
// registerWorker() and submitJob() returning a stream-like job.
//
//   node node_gearman.js worker PORT STOPFILE   ng_reverse, ng_stream (WORK_DATA chunks via
//                                               worker.write), ng_fail (worker.error()),
//                                               ng_empty (worker.end() without data)
//   node node_gearman.js client PORT            foreground jobs one after another on one
//                                               connection, background jobs on another
//
// The client prints one line per submitted job: JOB <kind> <function> <unique> <result>.
'use strict'
const fs = require('fs')
const Gearman = require('node-gearman')

const H = '127.0.0.1'
const [mode, portArg, stopFile] = process.argv.slice(2)
const port = Number(portArg)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function worker() {
  const g = new Gearman(H, port)
  g.registerWorker('ng_reverse', (payload, w) => {
    w.end(payload.toString('utf-8').split('').reverse().join(''))
  })
  g.registerWorker('ng_stream', (payload, w) => {
    let n = 0
    const t = setInterval(() => {
      n += 1
      if (n <= 3) w.write('chunk ' + n + ' of ' + payload.toString())
      else { clearInterval(t); w.end() }
    }, 100)
  })
  g.registerWorker('ng_fail', (payload, w) => w.error())
  g.registerWorker('ng_empty', (payload, w) => w.end())
  g.connect()
  const t = setInterval(() => {
    if (fs.existsSync(stopFile)) { clearInterval(t); g.close() }
  }, 100)
}

// A foreground job: resolves when it ends (end / error), with everything it received.
function run(g, kind, fn, payload, uniq, options) {
  return new Promise((resolve) => {
    const job = g.submitJob(fn, payload, uniq, options)
    const chunks = []
    job.on('data', (d) => chunks.push(d.toString()))
    const done = (how) => () => {
      console.log(`JOB ${kind} ${fn} ${uniq || '-'} ${how} ${JSON.stringify(chunks)}`)
      resolve()
    }
    job.on('end', done('end'))
    job.on('error', done('error'))
  })
}

async function client() {
  const g = new Gearman(H, port)
  await run(g, 'normal', 'ng_reverse', 'hello from node-gearman', 'ng-u-1')
  await run(g, 'normal', 'ng_reverse', 'no unique given', undefined)
  await run(g, 'high', 'ng_reverse', 'high priority', 'ng-u-high', { priority: 'high' })
  await run(g, 'low', 'ng_reverse', 'low priority', 'ng-u-low', { priority: 'low' })
  await run(g, 'normal', 'ng_stream', 'stream', 'ng-u-stream')
  await run(g, 'normal', 'ng_fail', 'fail me', 'ng-u-fail')
  await run(g, 'normal', 'ng_empty', 'nothing back', 'ng-u-empty')
  g.close()

  // Background submits get no callback in this library; on a connection that also waits for
  // foreground JOB_CREATEDs they would take a foreground job's handle, so they have their own.
  const b = new Gearman(H, port)
  for (const [kind, uniq, priority] of [['bg', 'ng-u-bg', undefined],
    ['high_bg', 'ng-u-high-bg', 'high'], ['low_bg', 'ng-u-low-bg', 'low']]) {
    b.submitJob('ng_reverse', 'background ' + kind, uniq, { background: true, priority })
    console.log(`JOB ${kind} ng_reverse ${uniq}`)
  }
  await sleep(500)
  b.close()
}

if (mode === 'worker') worker()
else if (mode === 'client') client().catch((e) => { console.error(e); process.exit(1) })
else { console.error('usage: node_gearman.js worker|client PORT [STOPFILE]'); process.exit(2) }
