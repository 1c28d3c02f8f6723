<?php
// php_worker.php PORT STOPFILE - a GearmanWorker (php-gearman, on libgearman) as PHP apps
// write one: setId, addFunction callbacks, a work() loop.
//   php_upper     upper-cases the workload
//   php_progress  sendStatus 1/3 and 2/3, sendData, sendWarning, then returns a result
//   php_fail      sendFail()
//   php_failret   setReturn(GEARMAN_WORK_FAIL) and returns
//   php_exc       sendException()
//   php_empty     returns "" (an empty result)
//   php_timeout   registered with a timeout (CAN_DO_TIMEOUT)
// Runs until STOPFILE exists (work() with a 200 ms timeout, so the loop can look).
[$port, $stop] = array_slice($argv, 1);
$w = new GearmanWorker();
$w->addServer('127.0.0.1', (int)$port);
$w->setId('php-worker-1');
$w->setTimeout(200);
$w->addFunction('php_upper', fn(GearmanJob $job) => strtoupper($job->workload()));
$w->addFunction('php_progress', function (GearmanJob $job) {
    $job->sendStatus(1, 3);
    $job->sendData('part one;');
    usleep(200000);
    $job->sendStatus(2, 3);
    $job->sendData('part two;');
    $job->sendWarning('almost done');
    usleep(200000);
    return 'progress: ' . $job->workload();
});
$w->addFunction('php_fail', function (GearmanJob $job) {
    $job->sendFail();
});
$w->addFunction('php_failret', function (GearmanJob $job) {
    $job->setReturn(GEARMAN_WORK_FAIL);
    return '';
});
$w->addFunction('php_exc', function (GearmanJob $job) {
    $job->sendException('RuntimeException: php_exc threw');
});
$w->addFunction('php_empty', fn(GearmanJob $job) => '');
$w->addFunction('php_timeout', fn(GearmanJob $job) => 'in time', null, 5);
// work() returns false on its timeout and also after a job whose callback setReturn()ed a
// failure (returnCode() GEARMAN_WORK_FAIL, error() a stale GEARMAN_UNKNOWN_STATE): log, go on.
$errors = 0;
while (!file_exists($stop) && $errors < 20) {
    if (@$w->work()) { $errors = 0; continue; }
    $rc = $w->returnCode();
    if ($rc == GEARMAN_TIMEOUT || $rc == GEARMAN_IO_WAIT || $rc == GEARMAN_NO_JOBS) continue;
    fwrite(STDERR, "php_worker: work() returned false, rc $rc: " . $w->error() . "\n");
    $errors++;
}
