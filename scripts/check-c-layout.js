#!/usr/bin/env node
// The layout rules of native/src (docs/architecture.md): every .c has a header
// of its own name, and no .c declares a function or variable that another .c
// defines (declarations live in that file's header). Exits 1 naming each
// violation. Part of `npm run lint`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'native', 'src');
const problems = [];

/** The file's text with comments, strings and character literals blanked out. */
function code(text) {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** Statements at file scope (brace depth 0) that end with ';', with their line numbers. */
function fileScopeStatements(text) {
  const out = [];
  let depth = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        start = i + 1;
        startLine = line;
      }
    } else if (c === ';' && depth === 0) {
      out.push({ text: text.slice(start, i).trim(), line: startLine });
      start = i + 1;
      startLine = line;
    } else if (depth === 0 && /\S/.test(c) && text.slice(start, i).trim() === '') {
      startLine = line;
    }
  }
  return out;
}

for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.c')).sort()) {
  const header = file.replace(/\.c$/, '.h');
  if (!fs.existsSync(path.join(dir, header))) problems.push(`native/src/${file}: no header of its own (${header})`);
  const text = code(fs.readFileSync(path.join(dir, file), 'utf8'));
  for (const s of fileScopeStatements(text)) {
    const stmt = s.text.replace(/^#[^\n]*\n/gm, '').replace(/\s+/g, ' ').trim();
    if (!stmt || /^(static|typedef|struct \w+ \{|enum|union)\b/.test(stmt) || stmt.startsWith('#')) continue;
    // a definition with an initializer (`const x[] = {...}`) is not a declaration
    if (/=/.test(stmt)) continue;
    if (/^extern\b/.test(stmt) || /\w\s*\([^)]*\)\s*$/.test(stmt) || /\)\)\s*$/.test(stmt)) {
      problems.push(`native/src/${file}:${s.line}: declares "${stmt.slice(0, 80)}" outside a header`);
    }
  }
}

if (problems.length) {
  console.error(`C layout (scripts/check-c-layout.js):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`C layout: ${fs.readdirSync(dir).filter((f) => f.endsWith('.c')).length} .c files, each with its header, no foreign declarations`);
