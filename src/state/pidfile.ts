// Pid files as engines read them (go-runc: strconv.Atoi right after tsrun
// exits): written to ".<name>.<unique>" with O_EXCL, then renamed into place,
// decimal, no trailing newline. runc's fixed ".<name>" temp would make every
// later create with that --pid-file fail (EEXIST) once a tsrun is killed
// between the write and the rename; a unique name cannot block anyone.
import fs from 'node:fs';
import path from 'node:path';
import { fromNodeError, TsrunError } from '../errors';
import { uniqueSuffix } from './files';

export function writePidFile(file: string, pid: number): void {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new TsrunError(`write pid file ${file}: invalid pid ${pid}`);
  const target = path.resolve(file);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${uniqueSuffix()}`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_SYNC, 0o666);
  } catch (e) {
    throw fromNodeError('write pid file', e, { path: tmp });
  }
  let open = true;
  try {
    fs.writeSync(fd, String(pid));
    fs.closeSync(fd);
    open = false;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (open) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw fromNodeError('write pid file', e, { path: target });
  }
}
