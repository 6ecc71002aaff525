import { fileURLToPath } from 'node:url';

/** The project root: where checks/, runbooks/, reports/ and schedules/ live (same from src/ and dist/). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
