/**
 * The pages as pure functions from a view model to HTML. Templates are handlebars files under
 * src/service/web/templates/, read once, found through PROJECT_ROOT so the same path works from src/
 * (tsx) and from dist/ (the build leaves them in src/, like the sandbox's scenarios).
 *
 * Every value is escaped by handlebars; no template uses a triple-stash. The one unescaped insertion is
 * our own stylesheet, through the `inlineStyles` helper. Pages need no JavaScript and no external asset,
 * so the status page renders offline, and `contentSecurityPolicy` allows exactly the stylesheet.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { EnvironmentError } from '../../core/errors.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { redactValue } from '../../core/redact.js';
import type { OverviewView } from './overview-data.js';
import type { StatusPageView } from './status-data.js';

export const TEMPLATES_DIR = join(PROJECT_ROOT, 'src', 'service', 'web', 'templates');

/** Where the sign-in form posts unless told otherwise. */
export const DEFAULT_SIGN_IN_ACTION = '/sign-in';

const PARTIALS = ['layout', 'maintenanceItem'] as const;
const PAGES = ['status', 'overview', 'sign-in'] as const;
type Page = (typeof PAGES)[number];

export interface WebRenderer {
  renderStatusPage(view: StatusPageView): string;
  renderOverview(view: OverviewView, options?: { signOutAction?: string }): string;
  renderSignIn(error?: string, options?: { action?: string }): string;
  /** The Content-Security-Policy header value for these pages: no scripts, no fetches, only our stylesheet. */
  readonly contentSecurityPolicy: string;
}

function readTemplate(dir: string, file: string): string {
  const path = join(dir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new EnvironmentError(`cannot read the web page template ${path} (${code}); the templates ship in src/service/web/templates/ next to dist/`);
  }
}

/** Reads and checks every template now, so a broken or missing one stops the service at startup. */
export function createRenderer(dir: string = TEMPLATES_DIR): WebRenderer {
  const hb = Handlebars.create();
  const css = readTemplate(dir, 'styles.css').trim();
  hb.registerHelper('inlineStyles', () => new hb.SafeString(css));
  const compile = (name: string) => {
    const source = readTemplate(dir, `${name}.hbs`);
    try {
      // compile() defers parsing to the first render; parse now so a syntax error names its file at startup.
      hb.parse(source);
    } catch (err) {
      throw new EnvironmentError(`the web page template ${join(dir, `${name}.hbs`)} does not parse: ${(err as Error).message}`);
    }
    // strict: a field the view model lacks is an error, not an empty string on a public page.
    return hb.compile(source, { strict: true });
  };
  for (const name of PARTIALS) hb.registerPartial(name, compile(name));
  const pages = Object.fromEntries(PAGES.map((name) => [name, compile(name)])) as Record<Page, HandlebarsTemplateDelegate>;
  const hash = createHash('sha256').update(css).digest('base64');

  return {
    // Secrets registered with the redactor are masked in the data before it is escaped into markup.
    renderStatusPage: (view) => pages.status(redactValue(view)),
    renderOverview: (view, options = {}) => pages.overview({ ...redactValue(view), signOutAction: options.signOutAction ?? null }),
    renderSignIn: (error, options = {}) => pages['sign-in']({ error: error === undefined ? null : redactValue(error), action: options.action ?? DEFAULT_SIGN_IN_ACTION }),
    contentSecurityPolicy: `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  };
}

let shared: WebRenderer | undefined;

/** The renderer over the shipped templates, made on first use. */
export function webRenderer(): WebRenderer {
  return (shared ??= createRenderer());
}

export function renderStatusPage(view: StatusPageView): string {
  return webRenderer().renderStatusPage(view);
}

export function renderOverview(view: OverviewView, options?: { signOutAction?: string }): string {
  return webRenderer().renderOverview(view, options);
}

export function renderSignIn(error?: string, options?: { action?: string }): string {
  return webRenderer().renderSignIn(error, options);
}
