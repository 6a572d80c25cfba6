// rdma → rdma.max lines "<device> hca_handle=N hca_object=M" (same on v1 and v2).
import type { CgroupWrite } from '../fsio';
import { isPresent, type LinuxRdma } from '../resources';

export function rdmaMaxLine(device: string, limits: LinuxRdma): string | undefined {
  let line = device;
  if (isPresent(limits.hcaHandles)) line += ` hca_handle=${limits.hcaHandles}`;
  if (isPresent(limits.hcaObjects)) line += ` hca_object=${limits.hcaObjects}`;
  return line === device ? undefined : line;
}

export function rdmaWrites(rdma: Record<string, LinuxRdma> | undefined, base = 'linux.resources.rdma'): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  for (const [device, limits] of Object.entries(rdma ?? {})) {
    const line = rdmaMaxLine(device, limits);
    if (line) out.push({ file: 'rdma.max', value: line, field: `${base}[${JSON.stringify(device)}]` });
  }
  return out;
}
