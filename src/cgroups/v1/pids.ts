// pids.limit → pids.max: the v1 file has the v2 name and format.
export { pidsWrites as pidsV1Writes } from '../v2/pids';
