// rdma → rdma.max: same file and format as v2.
export { rdmaWrites as rdmaV1Writes } from '../v2/rdma';
