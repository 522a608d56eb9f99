// What 100 scheduled tasks cost an idle daemon: RSS and CPU seconds (utime + stime, /proc) over a
// 10 s window once every task rests in `scheduled`, for `@every 1h` tasks and for cron tasks
// (`0 * * * *`: croner loaded). The scheduler arms one timer for the earliest due and runs no
// code between dues, so the target is the same as for 100 idle services.
import { Daemon } from './lib/daemon.js';
import { figure } from './lib/figure.js';
import { cpuTicks, statusMb, ticksToSeconds } from './lib/proc.js';
import { removeDir, sleep, tempDir, writeConfig } from './lib/util.js';

const N = 100;
const WINDOW_MS = 10_000;
const SETTLE_MS = 2_000;

/** 100 oneshot tasks with `schedule`. */
function tasksConfig(schedule) {
  const lines = ['settings:', '  watch: false', '  echo: false', 'services:'];
  for (let i = 0; i < N; i++)
    lines.push(`  t${String(i).padStart(3, '0')}:`, '    type: oneshot', '    command: "true"', `    schedule: "${schedule}"`);
  return `${lines.join('\n')}\n`;
}

/** CPU seconds and RSS of the daemon over one idle window, with every task scheduled. */
async function idleWith(schedule) {
  const dir = tempDir('tasks-idle');
  const d = new Daemon(dir, writeConfig(dir, tasksConfig(schedule)));
  try {
    d.start();
    const conn = await d.connect();
    try {
      for (;;) {
        const { services } = await conn.request('status');
        if (services.length === N && services.every((s) => s.state === 'scheduled' && s.next_run)) break;
        await sleep(100);
      }
    } finally {
      conn.close();
    }
    await sleep(SETTLE_MS);
    const c0 = cpuTicks(d.pid);
    await sleep(WINDOW_MS);
    return { cpu: ticksToSeconds(cpuTicks(d.pid) - c0), rss: statusMb(d.pid, 'VmRSS') };
  } finally {
    await d.stop();
    removeDir(dir);
  }
}

/** Why: the scheduler must add no idle CPU (issue 18). */
export async function benchTasksIdle() {
  const every = await idleWith('@every 1h');
  const cron = await idleWith('0 * * * *');
  const tcpu = { op: '<', value: 0.02 };
  return [
    figure({
      key: 'tasks_idle_every_cpu_s',
      name: 'idle CPU, 100 @every 1h tasks, 10 s',
      value: every.cpu,
      unit: 's',
      digits: 3,
      target: tcpu,
    }),
    figure({ key: 'tasks_idle_every_rss_mb', name: 'idle RSS, 100 @every 1h tasks', value: every.rss, unit: 'MB' }),
    figure({
      key: 'tasks_idle_cron_cpu_s',
      name: 'idle CPU, 100 cron tasks (0 * * * *), 10 s',
      value: cron.cpu,
      unit: 's',
      digits: 3,
      target: tcpu,
    }),
    figure({ key: 'tasks_idle_cron_rss_mb', name: 'idle RSS, 100 cron tasks (croner loaded)', value: cron.rss, unit: 'MB' }),
  ];
}
