// A minimal NDJSON client of the control protocol (docs/protocol.md), so that polling the daemon does not
// cost a node start-up each time: one connection, requests matched to replies by id.
import { connect } from 'node:net';

/** Why: precise, cheap daemon queries from the benchmark process itself. */
export class Conn {
  #sock;
  #next = 1;
  #pending = new Map();
  #buf = '';

  static open(path, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      const t = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connecting to ${path} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(t);
        reject(new Error(`connecting to ${path}: ${e.message}`));
      });
      sock.once('connect', () => {
        clearTimeout(t);
        resolve(new Conn(sock));
      });
    });
  }

  constructor(sock) {
    this.#sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (d) => this.#data(d));
    const fail = (e) => {
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    sock.on('error', (e) => fail(new Error(`control socket: ${e.message}`)));
    sock.on('close', () => fail(new Error('control socket closed')));
  }

  #data(d) {
    this.#buf += d;
    for (let i = this.#buf.indexOf('\n'); i !== -1; i = this.#buf.indexOf('\n')) {
      const line = this.#buf.slice(0, i);
      this.#buf = this.#buf.slice(i + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line);
      const p = this.#pending.get(msg.id);
      if (!p || msg.event !== undefined) continue;
      this.#pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`${msg.error?.code}: ${msg.error?.message}`));
    }
  }

  /** Sends one request and resolves with its result (rejects on an error reply). */
  request(cmd, args = {}, timeoutMs = 30_000) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${cmd}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => (clearTimeout(t), resolve(v)),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
      this.#sock.write(`${JSON.stringify({ id, cmd, args })}\n`);
    });
  }

  /** Status rows (docs/commands.md, "JSON output") of every service. */
  async status(names = []) {
    const r = await this.request('status', { names });
    return r.services;
  }

  close() {
    this.#sock.destroy();
  }
}
