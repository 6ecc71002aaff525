import { describe, expect, it } from 'vitest';
import { redact } from '../../src/core/redact.js';

describe('redact', () => {
  it.each([
    ['postgres://vigil:s3cr%40t@db.example.com:5432/vigil', 'postgres://vigil:****@db.example.com:5432/vigil'],
    ['store at postgresql://app:pw1234@10.0.0.5/db?sslmode=require failed', 'store at postgresql://app:****@10.0.0.5/db?sslmode=require failed'],
    ['mysql://root:x@h', 'mysql://root:****@h'],
  ])('masks the password written into a URL: %s', (text, masked) => {
    expect(redact(text)).toBe(masked);
  });

  it.each([['postgres://vigil@db.example.com/vigil'], ['https://example.com/a:b@c'], ['postgres:///vigil?host=/var/run/postgresql'], ['alice: on it @bob'], ['postgresql://{{username}}:{{password}}@lms-prod:5432/lms']])('leaves text without a URL password alone: %s', (text) => {
    expect(redact(text)).toBe(text);
  });
});
