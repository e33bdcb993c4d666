/**
 * CPU time of the stack's processes from /proc (Linux), for figures that the machine's load does
 * not move much: CPU milliseconds per request of Postgres (the postmaster and every backend and
 * worker under it), PostgREST, the function under test and the gateway. Only processes alive at
 * both readings count fully (a backend that exits between them loses its ticks).
 *
 * @module
 */

const HZ = 100; // USER_HZ: the unit of utime / stime in /proc/<pid>/stat on Linux.

/** utime + stime (ticks) of every process, and each process's children. */
function snapshot(): { ticks: Map<number, number>; children: Map<number, number[]> } {
  const ticks = new Map<number, number>();
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
    } catch {
      continue; // exited meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pid = Number(e.name);
    ticks.set(pid, Number(f[11]) + Number(f[12]));
    const ppid = Number(f[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  return { ticks, children };
}

/** The parent pid of `pid`. */
export function parentPid(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
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
