/** A CA generated per sandbox start, and a server certificate for the PagerDuty HTTPS listener. */
import { generate } from 'selfsigned';

export interface Certificates {
  caCertPem: string;
  server: { key: string; cert: string };
}

export async function createCertificates(host: string): Promise<Certificates> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + 30 * 24 * 60 * 60 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'Vigil sandbox CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: host === 'localhost' ? '127.0.0.1' : host }] },
    ],
  });
  return { caCertPem: ca.cert, server: { key: server.private, cert: server.cert } };
}
