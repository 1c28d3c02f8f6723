<?php
// php_client.php PORT - GearmanClient (php-gearman, on libgearman) the ways PHP apps submit:
// ping; doNormal/doHigh/doLow (one with WORK_DATA/STATUS/WARNING); a failing job; an
// exception with setExceptionCallback; doBackground/doHighBackground/doLowBackground and
// jobStatus / jobStatusByUniqueKey; addTask/addTaskHigh/addTaskLow/addTaskBackground + runTasks;
// addTaskStatus + runTasks. GearmanClient has no setId in php-gearman 2.1 (only GearmanWorker).
// Prints one line per submitted job: JOB <kind> <function> <unique> <result>.
$port = (int)$argv[1];
function client($port) {
    $c = new GearmanClient();
    $c->addServer('127.0.0.1', $port);
    return $c;
}
$c = client($port);
echo "PING ", var_export($c->ping('php ping'), true), "\n";

$r = $c->doNormal('php_upper', 'hello from php', 'php-u-1');
echo "JOB normal php_upper php-u-1 $r\n";
$r = $c->doHigh('php_upper', 'high from php', 'php-u-high');
echo "JOB high php_upper php-u-high $r\n";
$r = $c->doLow('php_upper', 'low from php', 'php-u-low');
echo "JOB low php_upper php-u-low $r\n";
$r = $c->doNormal('php_upper', 'no unique given');
echo "JOB normal php_upper - $r\n";

// php-gearman 2.1's doNormal returns only at the end, with every WORK_DATA chunk prepended to the
// result (the PHP manual's loop over GEARMAN_WORK_DATA / GEARMAN_WORK_STATUS returned once, SUCCESS).
$r = $c->doNormal('php_progress', 'with progress', 'php-u-progress');
echo "JOB normal php_progress php-u-progress $r\n";

$r = $c->doNormal('php_fail', 'fail me', 'php-u-fail');
echo "JOB normal php_fail php-u-fail rc=", $c->returnCode(), "\n";
$r = $c->doNormal('php_failret', 'fail by return', 'php-u-failret');
echo "JOB normal php_failret php-u-failret rc=", $c->returnCode(), "\n";
$r = $c->doNormal('php_empty', 'nothing back', 'php-u-empty');
echo "JOB normal php_empty php-u-empty '$r' rc=", $c->returnCode(), "\n";
$r = $c->doNormal('php_timeout', 'within 5 s', 'php-u-timeout');
echo "JOB normal php_timeout php-u-timeout $r\n";

// Exceptions: a client with an exception callback (on its own connection).
$e = client($port);
$e->setExceptionCallback(function (GearmanTask $t) { echo "EXCEPTION ", $t->data(), "\n"; });
$e->addTask('php_exc', 'throw', null, 'php-u-exc');
$e->runTasks();
echo "JOB normal php_exc php-u-exc\n";

// Background jobs and their status.
$h1 = $c->doBackground('php_upper', 'background', 'php-u-bg');
echo "JOB bg php_upper php-u-bg $h1\n";
$h2 = $c->doHighBackground('php_upper', 'high background', 'php-u-high-bg');
echo "JOB high_bg php_upper php-u-high-bg $h2\n";
$h3 = $c->doLowBackground('php_upper', 'low background', 'php-u-low-bg');
echo "JOB low_bg php_upper php-u-low-bg $h3\n";
$hp = $c->doBackground('php_progress', 'background progress', 'php-u-progress-bg');
echo "JOB bg php_progress php-u-progress-bg $hp\n";
usleep(100000);
echo "STATUS ", json_encode($c->jobStatus($hp)), "\n";
echo "STATUS_UNIQUE ", json_encode($c->jobStatusByUniqueKey('php-u-progress-bg')), "\n";

// Tasks: several submits on one connection, answered by runTasks().
$t = client($port);
$t->setCreatedCallback(function (GearmanTask $k) { echo "CREATED ", $k->unique(), " ", $k->jobHandle(), "\n"; });
$t->setDataCallback(function (GearmanTask $k) { echo "DATA ", $k->unique(), " ", $k->data(), "\n"; });
$t->setStatusCallback(function (GearmanTask $k) { echo "TASKSTATUS ", $k->unique(), " ", $k->taskNumerator(), "/", $k->taskDenominator(), "\n"; });
$t->setCompleteCallback(function (GearmanTask $k) { echo "COMPLETE ", $k->unique(), " ", $k->data(), "\n"; });
$t->setFailCallback(function (GearmanTask $k) { echo "FAIL ", $k->unique(), "\n"; });
$t->addTask('php_upper', 'task one', null, 'php-t-1');
$t->addTaskHigh('php_upper', 'task high', null, 'php-t-high');
$t->addTaskLow('php_upper', 'task low', null, 'php-t-low');
$t->addTask('php_fail', 'task fail', null, 'php-t-fail');
$t->addTaskBackground('php_upper', 'task background', null, 'php-t-bg');
$t->runTasks();
foreach (['normal php_upper php-t-1', 'high php_upper php-t-high', 'low php_upper php-t-low',
          'normal php_fail php-t-fail', 'bg php_upper php-t-bg'] as $j) echo "JOB $j\n";
sleep(1);
$t->addTaskStatus($hp);
$t->setStatusCallback(function (GearmanTask $k) { echo "TASKSTATUS after ", $k->isKnown() ? 1 : 0, " ", $k->taskNumerator(), "/", $k->taskDenominator(), "\n"; });
$t->runTasks();
