#!/usr/bin/env node
// gearmanode.js - the npm `gearmanode` package (0.9.2, veny/GearmaNode) as its README uses it.
//
//   node gearmanode.js worker PORT STOPFILE   worker (GRAB_JOB) with setWorkerId for gn_reverse,
//                                             gn_progress (reportStatus with percentages and
//                                             sendWorkData), gn_warn, gn_fail, gn_exc and
//                                             gn_timeout (CAN_DO_TIMEOUT); a second worker with
//                                             withUnique (GRAB_JOB_UNIQ) serves gn_uniq
//   node gearmanode.js client PORT            submits the jobs one after another
//
// The client prints one line per submitted job: JOB <kind> <function> <unique> <result>.
'use strict'
const fs = require('fs')
const gearmanode = require('gearmanode')

const H = '127.0.0.1'
const [mode, portArg, stopFile] = process.argv.slice(2)
const port = Number(portArg)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function worker() {
  const w = gearmanode.worker({ host: H, port })
  w.setWorkerId('gn-worker-1')
  w.addFunction('gn_reverse', (job) => job.workComplete(job.payload.toString().split('').reverse().join('')))
  w.addFunction('gn_progress', async (job) => {
    const steps = 3
    for (let i = 1; i < steps; i++) {
      await sleep(150)
      job.sendWorkData('step ' + i)
      job.reportStatus((i / steps) * 100, 100)   // numbers: sent as JavaScript prints them
    }
    await sleep(150)
    job.workComplete('done after ' + steps + ' steps')
  })
  w.addFunction('gn_warn', (job) => {
    job.reportWarning('careful')
    job.workComplete()                           // no result
  })
  w.addFunction('gn_fail', (job) => job.reportError())
  w.addFunction('gn_exc', (job) => job.reportException('Error: gn_exc threw'))
  w.addFunction('gn_timeout', (job) => job.workComplete('in time'), { timeout: 10 })

  const u = gearmanode.worker({ host: H, port, withUnique: true })
  u.addFunction('gn_uniq', (job) => job.workComplete(job.unique + ':' + job.payload.toString()))

  const t = setInterval(() => {
    if (fs.existsSync(stopFile)) { clearInterval(t); w.close(); u.close() }
  }, 100)
}

async function client() {
  const c = gearmanode.client({ host: H, port })
  const js = c.jobServers[0]
  let ev = new Promise((r) => js.once('echo', r))
  js.echo('gn ping')
  console.log('ECHO', String(await ev))
  ev = new Promise((r) => js.once('option', r))
  js.setOption('exceptions')                     // so WORK_EXCEPTION reaches this client
  console.log('OPTION', String(await ev))

  function fg(kind, fn, payload, opts) {
    return new Promise((resolve) => {
      const job = c.submitJob(fn, payload, Object.assign({ toStringEncoding: 'utf-8' }, opts))
      const seen = []
      job.on('workData', (d) => seen.push('data ' + d))
      job.on('warning', (d) => seen.push('warning ' + d))
      job.on('status', (s) => seen.push(`status ${s.percent_done_num}/${s.percent_done_den}`))
      const done = (how) => (arg) => {
        const res = how === 'exception' ? arg : job.response
        console.log(`JOB ${kind} ${fn} ${opts.unique || '-'} ${job.handle} ${how} '${res}' ${seen.join(', ')}`)
        resolve()
      }
      job.on('complete', done('complete'))
      job.on('failed', done('failed'))
      job.on('exception', done('exception'))
    })
  }
  function bg(kind, fn, payload, opts) {
    return new Promise((resolve) => {
      const job = c.submitJob(fn, payload, Object.assign({ background: true }, opts))
      job.on('created', () => {
        console.log(`JOB ${kind} ${fn} ${opts.unique || '-'} ${job.handle}`)
        resolve(job)
      })
    })
  }

  await fg('normal', 'gn_reverse', 'hello from gearmanode', { unique: 'gn-u-1' })
  await fg('normal', 'gn_reverse', 'no unique given', {})
  await fg('high', 'gn_reverse', 'high priority', { unique: 'gn-u-high', priority: 'HIGH' })
  await fg('low', 'gn_reverse', 'low priority', { unique: 'gn-u-low', priority: 'LOW' })
  await fg('normal', 'gn_progress', 'progress please', { unique: 'gn-u-progress' })
  await fg('normal', 'gn_warn', 'warn me', { unique: 'gn-u-warn' })
  await fg('normal', 'gn_fail', 'fail me', { unique: 'gn-u-fail' })
  await fg('normal', 'gn_exc', 'throw', { unique: 'gn-u-exc' })
  await fg('normal', 'gn_timeout', 'within 10 s', { unique: 'gn-u-timeout' })
  await fg('normal', 'gn_uniq', 'via GRAB_JOB_UNIQ', { unique: 'gn-u-uniq' })
  await bg('bg', 'gn_reverse', 'background', { unique: 'gn-u-bg' })
  await bg('high_bg', 'gn_reverse', 'high background', { unique: 'gn-u-high-bg', priority: 'HIGH' })
  await bg('low_bg', 'gn_reverse', 'low background', { unique: 'gn-u-low-bg', priority: 'LOW' })

  // A background job with progress: GET_STATUS while it runs.
  const job = await bg('bg', 'gn_progress', 'background progress', { unique: 'gn-u-progress-bg' })
  await sleep(250)
  const st = new Promise((r) => job.once('status', r))
  job.getStatus()
  console.log('STATUS', JSON.stringify(await st))
  await sleep(600)
  c.close()
}

if (mode === 'worker') worker()
else if (mode === 'client') client().catch((e) => { console.error(e); process.exit(1) })
else { console.error('usage: gearmanode.js worker|client PORT [STOPFILE]'); process.exit(2) }
