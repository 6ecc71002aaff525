/**
 * Realistic e-learning rows for the sandbox's databases: courses, learners and enrollments, with
 * `created_at`/`updated_at` spread over a span before the world clock's "now" (so a snapshot "as of" a
 * day holds only the rows that existed then). Deterministic for a seed: the same scenario gives the same
 * rows, so a restore drill can be checked against known counts. Postgres and MySQL (MariaDB) dialects
 * differ only in the DDL and the timestamp literals: the rows are the same for the same seed.
 */
import { DAY_MS, MINUTE_MS } from '../../core/clock.js';

export interface LmsDataOptions {
  learners: number;
  courses: number;
  /** Average courses a learner enrolls in. */
  enrollmentsPerLearner: number;
  /** How far before `now` the oldest rows go. */
  spanMs: number;
  seed: number;
  /** `postgres` unless given. */
  dialect?: SqlDialect;
}

export type SqlDialect = 'postgres' | 'mysql';

const FIRST_NAMES = [
  'Amara', 'Ben', 'Chloé', 'Dev', 'Elif', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kavya', 'Liam', 'Mei', 'Noah',
  'Olu', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tomás', 'Uma', 'Vikram', 'Wen', 'Ximena', 'Yusuf', 'Zoe',
];
const LAST_NAMES = [
  'Adeyemi', 'Bauer', 'Chen', 'Dubois', 'Eriksen', 'Fernández', 'Gupta', 'Hansen', 'Ivanova', 'Jones', 'Kim', 'López',
  'Müller', 'Nakamura', 'Okafor', 'Patel', 'Rossi', 'Silva', 'Tanaka', 'Usman', 'Varga', 'Walsh', 'Yilmaz', 'Zhang',
];
const ORGANIZATIONS = ['northwind-health', 'contoso-retail', 'fabrikam-energy', 'tailspin-air', 'adatum-bank', 'litware-legal', 'self-enrolled'];
const COUNTRIES = ['US', 'GB', 'DE', 'IN', 'BR', 'JP', 'NG', 'FR', 'CA', 'AU'];
const COURSE_TOPICS: Array<[category: string, titles: string[]]> = [
  ['compliance', ['Anti-Bribery Essentials', 'GDPR for Frontline Staff', 'Workplace Harassment Prevention', 'Information Security Awareness', 'Export Controls Basics']],
  ['safety', ['Fire Warden Training', 'Manual Handling', 'Working at Height', 'First Aid Refresher', 'Hazardous Substances (COSHH)']],
  ['leadership', ['Coaching Conversations', 'Leading Hybrid Teams', 'Giving Feedback', 'Decision Making Under Uncertainty']],
  ['technical', ['SQL for Analysts', 'Intro to Cloud Security', 'Incident Response 101', 'Python Fundamentals', 'Data Privacy Engineering']],
  ['clinical', ['Infection Prevention', 'Medication Safety', 'Safeguarding Adults', 'Basic Life Support']],
];

/** SQL that creates the LMS tables and fills them. */
export function lmsDataSql(options: LmsDataOptions, now: Date): string {
  const random = mulberry32(options.seed);
  const nowMs = now.getTime();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const dialect = options.dialect ?? 'postgres';
  const ts = (ms: number) => timestamp(ms, dialect);

  const courses: Array<{ createdMs: number }> = [];
  const courseRows: string[] = [];
  const titles = COURSE_TOPICS.flatMap(([category, list]) => list.map((title) => ({ category, title })));
  for (let i = 0; i < options.courses; i += 1) {
    const { category, title } = titles[i % titles.length] as { category: string; title: string };
    const edition = Math.floor(i / titles.length);
    // Catalogue courses mostly predate learners: they are published early in the span.
    const createdMs = nowMs - options.spanMs + Math.floor(random() ** 2 * options.spanMs * 0.8);
    const updatedMs = createdMs + Math.floor(random() * (nowMs - createdMs));
    courses.push({ createdMs });
    const code = `${category.slice(0, 3).toUpperCase()}-${String(101 + i).padStart(3, '0')}`;
    courseRows.push(
      `(${q(code)}, ${q(edition > 0 ? `${title} (${edition + 1}e)` : title)}, ${q(category)}, ${15 + Math.floor(random() * 12) * 15}, ${random() > 0.1}, ${ts(createdMs)}, ${ts(updatedMs)})`,
    );
  }

  const learners: Array<{ createdMs: number }> = [];
  const learnerRows: string[] = [];
  for (let i = 0; i < options.learners; i += 1) {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const organization = pick(ORGANIZATIONS);
    // Sign-ups grow over time: more recent learners than old ones.
    const createdMs = nowMs - Math.floor((1 - Math.sqrt(random())) * options.spanMs);
    const lastLoginMs = createdMs + Math.floor(random() * (nowMs - createdMs));
    learners.push({ createdMs });
    const email = `${ascii(first)}.${ascii(last)}${i + 1}@${organization}.example`;
    learnerRows.push(`(${q(email)}, ${q(`${first} ${last}`)}, ${q(pick(COUNTRIES))}, ${q(organization)}, ${ts(createdMs)}, ${ts(lastLoginMs)}, ${ts(lastLoginMs)})`);
  }

  const enrollmentRows: string[] = [];
  const seen = new Set<string>();
  const total = courses.length === 0 ? 0 : Math.round(options.learners * options.enrollmentsPerLearner);
  for (let n = 0; n < total && learners.length > 0; n += 1) {
    const learnerIndex = Math.floor(random() * learners.length);
    const courseIndex = Math.floor(random() * courses.length);
    const key = `${learnerIndex}:${courseIndex}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const learner = learners[learnerIndex] as { createdMs: number };
    const course = courses[courseIndex] as { createdMs: number };
    const earliest = Math.max(learner.createdMs, course.createdMs);
    const createdMs = earliest + Math.floor(random() * (nowMs - earliest));
    const ageDays = (nowMs - createdMs) / DAY_MS;
    const roll = random();
    const completed = roll < Math.min(0.85, ageDays / 60);
    const withdrawn = !completed && roll > 0.97;
    const status = completed ? 'completed' : withdrawn ? 'withdrawn' : ageDays < 2 ? 'enrolled' : 'in_progress';
    const progress = completed ? 100 : status === 'enrolled' ? 0 : Math.floor(random() * 95) + 1;
    const completedMs = completed ? createdMs + Math.floor(random() * Math.min(nowMs - createdMs, 45 * DAY_MS)) : undefined;
    const updatedMs = completedMs ?? createdMs + Math.floor(random() * (nowMs - createdMs));
    const score = completed ? (55 + random() * 45).toFixed(2) : 'NULL';
    enrollmentRows.push(
      `(${learnerIndex + 1}, ${courseIndex + 1}, ${q(status)}, ${progress}, ${score}, ${completedMs === undefined ? 'NULL' : ts(completedMs)}, ${ts(createdMs)}, ${ts(updatedMs)})`,
    );
  }

  return [
    ...(dialect === 'mysql' ? MYSQL_TABLES : POSTGRES_TABLES),
    ...chunks('INSERT INTO courses (code, title, category, duration_minutes, published, created_at, updated_at) VALUES', courseRows),
    ...chunks('INSERT INTO learners (email, full_name, country, organization, created_at, updated_at, last_login_at) VALUES', learnerRows),
    ...chunks('INSERT INTO enrollments (learner_id, course_id, status, progress_pct, score, completed_at, created_at, updated_at) VALUES', enrollmentRows),
  ].join('\n');
}

const POSTGRES_TABLES = [
  `CREATE TABLE courses (
    id serial PRIMARY KEY, code text NOT NULL UNIQUE, title text NOT NULL, category text NOT NULL,
    duration_minutes integer NOT NULL, published boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);`,
  `CREATE TABLE learners (
    id serial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text NOT NULL, country text, organization text,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, last_login_at timestamptz);`,
  `CREATE TABLE enrollments (
    id serial PRIMARY KEY,
    learner_id integer NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    course_id integer NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    status text NOT NULL CHECK (status IN ('enrolled', 'in_progress', 'completed', 'withdrawn')),
    progress_pct integer NOT NULL, score numeric(5,2), completed_at timestamptz,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, UNIQUE (learner_id, course_id));`,
  'CREATE INDEX enrollments_course_idx ON enrollments (course_id);',
  'CREATE INDEX enrollments_created_idx ON enrollments (created_at);',
];

/**
 * The same tables as MySQL spells them: InnoDB ignores inline REFERENCES, so foreign keys are table
 * constraints; UNIQUE needs a bounded VARCHAR; DATETIME holds UTC (the sandbox's servers run in UTC,
 * as RDS does by default).
 */
const MYSQL_TABLES = [
  `CREATE TABLE courses (
    id int AUTO_INCREMENT PRIMARY KEY, code varchar(32) NOT NULL UNIQUE, title varchar(255) NOT NULL, category varchar(64) NOT NULL,
    duration_minutes int NOT NULL, published boolean NOT NULL DEFAULT true,
    created_at datetime NOT NULL, updated_at datetime NOT NULL) ENGINE=InnoDB;`,
  `CREATE TABLE learners (
    id int AUTO_INCREMENT PRIMARY KEY, email varchar(255) NOT NULL UNIQUE, full_name varchar(255) NOT NULL, country char(2), organization varchar(64),
    created_at datetime NOT NULL, updated_at datetime NOT NULL, last_login_at datetime NULL) ENGINE=InnoDB;`,
  `CREATE TABLE enrollments (
    id int AUTO_INCREMENT PRIMARY KEY,
    learner_id int NOT NULL, course_id int NOT NULL,
    status varchar(16) NOT NULL CHECK (status IN ('enrolled', 'in_progress', 'completed', 'withdrawn')),
    progress_pct int NOT NULL, score decimal(5,2), completed_at datetime NULL,
    created_at datetime NOT NULL, updated_at datetime NOT NULL, UNIQUE KEY enrollments_learner_course (learner_id, course_id),
    KEY enrollments_course_idx (course_id), KEY enrollments_created_idx (created_at),
    CONSTRAINT enrollments_learner_fk FOREIGN KEY (learner_id) REFERENCES learners (id) ON DELETE CASCADE,
    CONSTRAINT enrollments_course_fk FOREIGN KEY (course_id) REFERENCES courses (id) ON DELETE CASCADE) ENGINE=InnoDB;`,
];

/** Inserts in batches: one huge statement is slow to parse in WASM Postgres. */
function chunks(prefix: string, rows: string[], size = 500): string[] {
  const out: string[] = [];
  for (let i = 0; i < rows.length; i += size) out.push(`${prefix}\n${rows.slice(i, i + size).join(',\n')};`);
  return out;
}

function q(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Minute precision keeps the SQL short and reads like application timestamps. MySQL takes no zone suffix. */
function timestamp(ms: number, dialect: SqlDialect): string {
  const iso = new Date(Math.floor(ms / MINUTE_MS) * MINUTE_MS).toISOString();
  return dialect === 'mysql' ? `'${iso.slice(0, 10)} ${iso.slice(11, 19)}'` : `'${iso}'`;
}

function ascii(name: string): string {
  return name.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
}

/** Small seeded PRNG: the same seed gives the same rows. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
