/**
 * Tests that need a real MariaDB server run wherever one is installed, and always under CI (`CI` set),
 * where a missing server is a failure, not a skip: CI installs mariadb-server to test it.
 */
import { mariaDbInstalled } from '../../src/sandbox/aws/rds-mariadb.js';

export const skipWithoutMariaDb = !mariaDbInstalled() && !process.env['CI'];
