#!/usr/bin/env node
// gearman_pkg.js - the npm `gearman` package (2.1.0, mreinstein/node-gearman) used the way its
// README does: one connection per gearman() object, raw packet events, no job bookkeeping.
//
//   node gearman_pkg.js worker PORT STOPFILE   worker (GRAB_JOB) for nj_upper, nj_progress,
//                                              nj_warn, nj_fail, nj_exc, nj_timeout; a second
//                                              connection (GRAB_JOB_UNIQ) serves nj_uniq
//   node gearman_pkg.js client PORT            submits the jobs, one at a time
//
// The client prints one line per submitted job: JOB <kind> <function> <unique> <result>.
'use strict'
const fs = require('fs')
const gearman = require('gearman')

const H = '127.0.0.1'
const [mode, portArg, stopFile] = process.argv.slice(2)
const port = Number(portArg)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function worker() {
  const w = gearman(H, port)
  // A typical worker of this library: progress in percent, as JavaScript prints it.
  const run = {
    nj_upper: async (job) => w.sendWorkComplete(job.handle, job.payload.toString().toUpperCase()),
    nj_progress: async (job) => {
      const parts = ['first part ', 'second part ', 'third part']
      for (let i = 1; i <= parts.length; i++) {
        await sleep(150)
        w.sendWorkData(job.handle, parts[i - 1])
        if (i < parts.length) w.sendWorkStatus(job.handle, String((i / parts.length) * 100), '100')
      }
      w.sendWorkComplete(job.handle, parts.join(''))
    },
    nj_warn: async (job) => {
      w.sendWorkWarning(job.handle, 'disk almost full')
      w.sendWorkComplete(job.handle, '')          // an empty result
    },
    nj_fail: async (job) => w.sendWorkFail(job.handle),
    nj_exc: async (job) => w.sendWorkException(job.handle, 'Error: nj_exc threw'),
    nj_timeout: async (job) => w.sendWorkComplete(job.handle, 'in time'),
  }
  w.on('JOB_ASSIGN', async (job) => {
    await run[job.func_name](job)
    w.preSleep()
  })
  w.on('NOOP', () => w.grabJob())
  w.on('NO_JOB', () => w.preSleep())
  w.connect(() => {
    w.setWorkerId('nj-worker-1')
    for (const f of ['nj_upper', 'nj_progress', 'nj_warn', 'nj_fail', 'nj_exc']) w.addFunction(f)
    w.addFunction('nj_timeout', 5)              // CAN_DO_TIMEOUT
    w.preSleep()
  })

  const u = gearman(H, port)
  u.on('JOB_ASSIGN_UNIQ', (job) => {
    u.sendWorkComplete(job.handle, job.unique_id + ':' + job.payload.toString())
    u.preSleep()
  })
  u.on('NOOP', () => u.grabUniqueJob())
  u.on('NO_JOB', () => u.preSleep())
  u.connect(() => {
    u.addFunction('nj_uniq')
    u.preSleep()
  })

  const t = setInterval(() => {
    if (fs.existsSync(stopFile)) { clearInterval(t); w.close(); u.close() }
  }, 100)
}

// One request/response exchange on the client connection: resolve on the first of `events`.
function once(c, events) {
  return new Promise((resolve) => {
    const handlers = {}
    for (const e of events) {
      handlers[e] = (arg) => {
        for (const k of events) c.removeEventListener(k, handlers[k])
        resolve({ event: e, arg })
      }
      c.on(e, handlers[e])
    }
  })
}

async function client() {
  const c = gearman(H, port)
  await new Promise((r) => c.connect(r))
  c.echo('nj ping')
  await once(c, ['ECHO_RES'])
  c.setOption('exceptions')                     // so WORK_EXCEPTION reaches this client
  await once(c, ['OPTION_RES'])

  const terminal = ['WORK_COMPLETE', 'WORK_FAIL', 'WORK_EXCEPTION']
  async function fg(kind, fn, data, opts) {
    const created = once(c, ['JOB_CREATED', 'ERROR'])
    c.submitJob(fn, data, opts)
    const { arg: handle } = await created
    const seen = []
    const onStatus = (s) => seen.push(`status ${s.percent_num}/${s.percent_den}`)
    const onData = (d) => seen.push('data ' + d.payload.toString())
    c.on('WORK_STATUS', onStatus)
    c.on('WORK_DATA', onData)
    const done = await once(c, terminal)
    c.removeEventListener('WORK_STATUS', onStatus)
    c.removeEventListener('WORK_DATA', onData)
    const res = done.arg.payload !== undefined ? done.arg.payload.toString()
      : done.arg.exception !== undefined ? done.arg.exception : ''
    console.log(`JOB ${kind} ${fn} ${opts.unique_id} ${handle} ${done.event} '${res}' ${seen.join(', ')}`)
  }
  async function bg(kind, fn, data, opts) {
    const created = once(c, ['JOB_CREATED', 'ERROR'])
    c.submitJob(fn, data, Object.assign({ background: true }, opts))
    const { arg: handle } = await created
    console.log(`JOB ${kind} ${fn} ${opts.unique_id} ${handle}`)
    return handle
  }

  await fg('normal', 'nj_upper', 'hello from node', { unique_id: 'nj-u-1' })
  await fg('high', 'nj_upper', 'high from node', { unique_id: 'nj-u-2', priority: 'high' })
  await fg('low', 'nj_upper', 'low from node', { unique_id: 'nj-u-3', priority: 'low' })
  // No unique given: the library makes a random 12-character one (differs per run).
  const opts = {}
  await fg('normal', 'nj_upper', 'random unique', opts)
  await fg('normal', 'nj_progress', 'progress please', { unique_id: 'nj-u-progress' })
  await fg('normal', 'nj_warn', 'warn me', { unique_id: 'nj-u-warn' })
  await fg('normal', 'nj_fail', 'fail me', { unique_id: 'nj-u-fail' })
  await fg('normal', 'nj_exc', 'throw', { unique_id: 'nj-u-exc' })
  await fg('normal', 'nj_timeout', 'within 5 s', { unique_id: 'nj-u-timeout' })
  await fg('normal', 'nj_uniq', 'via GRAB_JOB_UNIQ', { unique_id: 'nj-u-uniq' })
  await bg('bg', 'nj_upper', 'background', { unique_id: 'nj-u-bg' })
  await bg('high_bg', 'nj_upper', 'high background', { unique_id: 'nj-u-high-bg', priority: 'high' })
  await bg('low_bg', 'nj_upper', 'low background', { unique_id: 'nj-u-low-bg', priority: 'low' })

  // A background job with progress, polled while it runs and after it ended.
  const h = await bg('bg', 'nj_progress', 'background progress', { unique_id: 'nj-u-progress-bg' })
  await sleep(250)
  c.getJobStatus(h)
  let st = await once(c, ['STATUS_RES'])
  console.log('STATUS', JSON.stringify(st.arg))
  c.getJobStatusUnique('nj-u-progress-bg')
  st = await once(c, ['STATUS_RES_UNIQUE'])
  console.log('STATUS_UNIQUE', JSON.stringify(st.arg))
  await sleep(700)
  c.getJobStatus(h)
  st = await once(c, ['STATUS_RES'])
  console.log('STATUS', JSON.stringify(st.arg))
  c.close()
}

if (mode === 'worker') worker()
else if (mode === 'client') client().catch((e) => { console.error(e); process.exit(1) })
else { console.error('usage: gearman_pkg.js worker|client PORT [STOPFILE]'); process.exit(2) }
