// Every pid that node itself spawned (child_process, node-pty) and waits for. The orphan reaper
// must never waitpid() one of these: libuv would miss its exit and node's 'exit' never fires.

/** Pids owned by node in this process; add right after spawn() returns, delete on 'exit'. */
export const nodeChildren = new Set<number>();
