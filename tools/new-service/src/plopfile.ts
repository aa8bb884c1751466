/**
 * The generator, as a Plop generator: `service` renders the Handlebars templates of
 * templates/ into the repository and writes the edits to shared files that generate.ts
 * worked out (ts-morph) before the first write. Run by `npm run new:service` through
 * node-plop, with no prompts: the CLI's arguments are its answers.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ActionType, NodePlopAPI } from 'node-plop';
import { formatAs } from './source-edits.js';
import {
  COMPOSE_TEMPLATE,
  serviceTemplates,
  TEMPLATE_DIR,
  type templateData,
} from './templates.js';

export type GeneratorData = ReturnType<typeof templateData> & {
  /** Shared files and their new content, worked out and checked before anything is written. */
  edits: Record<string, string>;
};

/** Prettier formats these; Markdown (.prettierignore), .proto and .hcl are written as rendered. */
const FORMATTED = /\.(ts|js|json|ya?ml)$/;

export function registerHelpers(plop: NodePlopAPI): void {
  // `'payment', 'order'` and `'payment' | 'order'`: serviceMain's calls and its type argument.
  plop.setHelper('quotedList', (names: string[]) => names.map((n) => `'${n}'`).join(', '));
  plop.setHelper('quotedUnion', (names: string[]) => names.map((n) => `'${n}'`).join(' | '));
}

/** Renders one template of templates/ with the data of a plan (the drift check uses it too). */
export async function renderTemplate(
  plop: NodePlopAPI,
  template: string,
  data: object,
  target: string,
): Promise<string> {
  const text = await fs.readFile(path.join(TEMPLATE_DIR, template), 'utf8');
  const rendered = plop.renderString(text, data);
  return FORMATTED.test(target) ? formatAs(target, rendered) : rendered;
}

export default function citadelPlopfile(plop: NodePlopAPI): void {
  registerHelpers(plop);
  // Writes content worked out beforehand (the ts-morph and YAML edits of shared files).
  plop.setActionType('citadel-write', async (_answers, config) => {
    const { path: file, content } = config as unknown as { path: string; content: string };
    await fs.writeFile(path.join(plop.getDestBasePath(), file), content);
    return file;
  });
  plop.setGenerator('service', {
    description: 'a Citadel gRPC service, secure by default',
    prompts: [],
    actions: (answers) => {
      const data = answers as GeneratorData;
      const adds: ActionType[] = serviceTemplates(data.name).map(({ template, target }) => ({
        type: 'add',
        path: target,
        templateFile: path.join(TEMPLATE_DIR, template),
        abortOnFail: true,
        transform: (text: string) =>
          FORMATTED.test(target) ? formatAs(path.join(plop.getDestBasePath(), target), text) : text,
      }));
      const writes = Object.entries(data.edits).map(
        ([file, content]) =>
          ({ type: 'citadel-write', path: file, content, abortOnFail: true }) as ActionType,
      );
      return [...adds, ...writes];
    },
  });
}

export { COMPOSE_TEMPLATE };
