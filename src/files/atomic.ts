import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { plxError } from "../errors/index.js";

/**
 * Writes a file so that a crash at any moment leaves either the old or the new content, never a
 * mix: write a temporary file beside it, flush it to disk, then rename over the target (atomic on
 * POSIX filesystems). Skips the write when the content is already there, so unchanged files keep
 * their timestamps. Returns whether it wrote.
 */
export async function writeFileAtomic(path: string, content: string): Promise<boolean> {
  try {
    return await replaceFile(path, content);
  } catch (error) {
    // Permissions, a full or read-only disk, a directory in the way: the user's machine, not a bug in plx.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && CANNOT_WRITE.has(code))
      throw plxError("FILES.CANNOT_WRITE", { file: path, reason: code });
    throw error;
  }
}

const CANNOT_WRITE = new Set([
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOSPC",
  "EDQUOT",
  "EISDIR",
  "ENOTDIR",
  "ENAMETOOLONG",
  "EEXIST",
]);

async function replaceFile(path: string, content: string): Promise<boolean> {
  const existing = await readFile(path, "utf8").catch(() => undefined);
  if (existing === content) return false;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.plx-tmp-${randomBytes(6).toString("hex")}`);
  // The directory usually exists already; creating it only when the open says otherwise saves a call per file.
  const handle = await open(temp, "w", 0o644).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
    await mkdir(dir, { recursive: true });
    return open(temp, "w", 0o644);
  });
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return true;
}
