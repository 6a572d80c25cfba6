// A throwaway certificate authority for TLS tests (openssl): a CA and
// certificates it signs for 127.0.0.1 / localhost.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestCa {
  dir: string;
  certFile: string;
  keyFile: string;
  /** a certificate for the given names, signed by this CA */
  issue(name: string, sans?: string[]): { certFile: string; keyFile: string };
}

export function makeCa(dir: string, name = 'tsrun test CA'): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'ca.key');
  const certFile = path.join(dir, 'ca.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'ignore' });
  let serial = 1;
  return {
    dir,
    certFile,
    keyFile,
    issue(cn, sans = ['IP:127.0.0.1', 'DNS:localhost']) {
      const base = path.join(dir, cn.replace(/[^A-Za-z0-9]/g, '_'));
      const key = `${base}.key`;
      const csr = `${base}.csr`;
      const cert = `${base}.crt`;
      const ext = `${base}.ext`;
      fs.writeFileSync(ext, `subjectAltName=${sans.join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`);
      execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], { stdio: 'ignore' });
      execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', certFile, '-CAkey', keyFile, '-set_serial', String(serial++), '-out', cert, '-days', '2', '-extfile', ext], {
        stdio: 'ignore',
      });
      return { certFile: cert, keyFile: key };
    },
  };
}
