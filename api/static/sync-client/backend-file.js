// A JSON-file backend for Node devices and tools: the memory backend, saved after every
// transaction by writing a temporary file and renaming it over the old one (atomic on POSIX),
// so a killed process leaves the previous transaction's state or this one's, never a mixture.
import { readFile, rename, writeFile } from "node:fs/promises";
import { MemoryBackend } from "./backend-memory.js";

export class FileBackend extends MemoryBackend {
  /** @param {string} path */
  static async open(path) {
    let state = {};
    try { state = JSON.parse(await readFile(path, "utf8")); } catch (err) {
      if (err.code !== "ENOENT") throw err;
    }
    const b = new FileBackend(state);
    b.path = path;
    return b;
  }

  async committed() {
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(this.dump()));
    await rename(tmp, this.path);
  }
}
