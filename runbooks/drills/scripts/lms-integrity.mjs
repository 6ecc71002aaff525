#!/usr/bin/env node
// A custom drill step: referential integrity of the restored LMS data. Vigil runs it with the
// restored endpoint and credentials in DRILL_* variables; exit 0 means the step passed.
import pg from 'pg';

const client = new pg.Client({
  host: process.env.DRILL_HOST,
  port: Number(process.env.DRILL_PORT),
  user: process.env.DRILL_USER,
  password: process.env.DRILL_PASSWORD,
  database: process.env.DRILL_DATABASE,
  ssl: process.env.DRILL_TLS === 'require' ? { rejectUnauthorized: true } : false,
});
await client.connect();
try {
  const { rows } = await client.query(`
    SELECT count(*)::int AS orphans FROM enrollments e
    LEFT JOIN learners l ON l.id = e.learner_id
    LEFT JOIN courses c ON c.id = e.course_id
    WHERE l.id IS NULL OR c.id IS NULL`);
  const orphans = rows[0].orphans;
  console.log(`enrollments without a learner or course: ${orphans}`);
  process.exitCode = orphans === 0 ? 0 : 1;
} finally {
  await client.end();
}
