/**
 * CPU time of the stack's processes from /proc (Linux), for figures that the machine's load does
 * not move much: CPU milliseconds per request of Postgres (the postmaster and every backend and
 * worker under it), PostgREST, the function under test and the gateway. Only processes alive at
 * both readings count fully (a backend that exits between them loses its ticks).
 *
 * @module
 */

const HZ = 100; // USER_HZ: the unit of utime / stime in /proc/<pid>/stat on Linux.

/**
 * The fields of `/proc/<pid>/stat` after the command name (`f[0]` is the state, `f[1]` the parent
 * pid, `f[11]` / `f[12]` utime / stime, `f[13]` / `f[14]` the reaped children's); null when the
 * process is gone.
 */
export function procStat(pid: number | string): string[] | null {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null; // exited meanwhile
  }
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** utime + stime (and, with `children`, cutime + cstime: reaped children) of a process, in ms. */
export function procCpuMs(pid: number, children = false): number {
  const f = procStat(pid);
  if (!f) return 0; // gone between the listing and the read
  const t = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
  return (t * 1000) / HZ;
}

/** The parent pid of every live process. */
export function parentPids(): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const f = procStat(e.name);
    if (f) out.set(Number(e.name), Number(f[1]));
  }
  return out;
}

/** utime + stime (ticks) of every process, and each process's children. */
function snapshot(): { ticks: Map<number, number>; children: Map<number, number[]> } {
  const ticks = new Map<number, number>();
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const f = procStat(e.name);
    if (!f) continue;
    const pid = Number(e.name);
    ticks.set(pid, Number(f[11]) + Number(f[12]));
    const ppid = Number(f[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  return { ticks, children };
}

/** The parent pid of `pid`. */
export function parentPid(pid: number): number {
  const f = procStat(pid);
  if (!f) throw new Error(`no process ${pid}`);
  return Number(f[1]);
}

/** CPU ms used so far by each named process tree (the root pid and all its descendants). */
export function cpuMs(roots: Record<string, number>): Record<string, number> {
  const { ticks, children } = snapshot();
  const out: Record<string, number> = {};
  for (const [name, root] of Object.entries(roots)) {
    let sum = 0;
    const todo = [root];
    while (todo.length) {
      const p = todo.pop()!;
      sum += ticks.get(p) ?? 0;
      todo.push(...(children.get(p) ?? []));
    }
    out[name] = (sum * 1000) / HZ;
  }
  return out;
}

/** The pid a stack part's pid file (STACK_DIR/pids/<name>.pid) names. */
export function stackPid(stackDir: string, name: string): number {
  return Number(Deno.readTextFileSync(`${stackDir}/pids/${name}.pid`).trim());
}
