// A form field's `pattern` is a Rust `regex` expression that must match the whole trimmed
// text. JavaScript's syntax and classes differ (`\w` and `\d` are ASCII-only in JS, Unicode
// in Rust; `.` excludes `\r` in JS; escapes of punctuation are stricter under the `u` flag),
// so a pattern is translated where the meaning is certain. Anything else returns null: the
// client then does not check the pattern and leaves it to the host, which is always asked.
// A pattern checked wrongly here would block someone the host would accept.

const WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';

/** Punctuation JS accepts escaped under the `u` flag (outside a class; `-` too inside). */
const JS_SYNTAX = '^$\\.*+?()[]{}|/';

const cache = new Map<string, RegExp | null>();

/** The pattern as an anchored JS RegExp, or null when it cannot be checked here. */
export function compilePattern(pattern: string): RegExp | null {
  if (cache.has(pattern)) return cache.get(pattern)!;
  let re: RegExp | null = null;
  const source = translate(pattern);
  if (source !== null) {
    try {
      re = new RegExp(`^(?:${source})$`, 'u');
    } catch {
      re = null;
    }
  }
  if (cache.size > 64) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** A Unicode property escape as JS spells it: general categories and binary properties
 *  as they are, a script name (`\p{Han}`) as Script_Extensions, which Rust means by it. */
function property(negated: boolean, name: string): string | null {
  const p = negated ? 'P' : 'p';
  for (const candidate of [name, `scx=${name}`]) {
    try {
      new RegExp(`\\${p}{${candidate}}`, 'u');
      return `\\${p}{${candidate}}`;
    } catch {
      /* try the next spelling */
    }
  }
  return null;
}

function translate(src: string): string | null {
  const chars = Array.from(src);
  let out = '';
  let inClass = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\') {
      const n = chars[++i];
      if (n === undefined) return null;
      switch (n) {
        case 'd':
          out += '\\p{Nd}';
          continue;
        case 'D':
          out += '\\P{Nd}';
          continue;
        case 's':
          out += '\\p{White_Space}';
          continue;
        case 'S':
          out += '\\P{White_Space}';
          continue;
        case 'w':
          out += inClass ? WORD : `[${WORD}]`;
          continue;
        case 'W':
          if (inClass) return null;
          out += `[^${WORD}]`;
          continue;
        case 'n':
        case 't':
        case 'r':
        case 'f':
        case 'v':
          out += '\\' + n;
          continue;
        case 'a':
          out += '\\x07';
          continue;
        case 'p':
        case 'P': {
          let name: string;
          if (chars[i + 1] === '{') {
            const close = chars.indexOf('}', i + 2);
            if (close < 0) return null;
            name = chars.slice(i + 2, close).join('');
            i = close;
          } else {
            name = chars[++i] ?? '';
          }
          if (!/^[A-Za-z_=]+$/.test(name)) return null;
          const escape = property(n === 'P', name);
          if (escape === null) return null;
          out += escape;
          continue;
        }
        case 'x': {
          if (chars[i + 1] === '{') {
            const close = chars.indexOf('}', i + 2);
            if (close < 0) return null;
            const hex = chars.slice(i + 2, close).join('');
            if (!/^[0-9A-Fa-f]{1,6}$/.test(hex)) return null;
            out += `\\u{${hex}}`;
            i = close;
          } else {
            const hex = chars.slice(i + 1, i + 3).join('');
            if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
            out += `\\x${hex}`;
            i += 2;
          }
          continue;
        }
        default:
          // Escaped punctuation: kept where JS takes it escaped, literal elsewhere.
          if (/[A-Za-z0-9]/.test(n)) return null; // \b, \A, \z, \u, backreferences…
          if (JS_SYNTAX.includes(n) || (inClass && n === '-')) out += '\\' + n;
          else out += n;
          continue;
      }
    }
    if (inClass) {
      // Nested classes and set operations (`[a-z&&[^x]]`, `[[:alpha:]]`) have no JS twin.
      if (c === '[' || ((c === '&' || c === '-' || c === '~') && chars[i + 1] === c)) return null;
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is literal in Rust.
      if (chars[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (chars[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && chars[i + 1] === '?') {
      const rest = chars.slice(i + 2, i + 4).join('');
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 2;
      } else if (rest === 'P<') {
        out += '(?<';
        i += 3;
      } else if (rest.startsWith('<') && rest !== '<=' && rest !== '<!') {
        out += '(?<';
        i += 2;
      } else {
        return null; // inline flags such as (?i) or (?-u:…)
      }
      continue;
    }
    // Rust's `.` is anything but a line feed; JS's also refuses \r and the line separators.
    out += c === '.' ? '[^\\n]' : c;
  }
  return inClass ? null : out;
}
