// Calendar dates as the host reads them (host/runtime/src/form/values.rs `parse_date`):
// exactly `YYYY-MM-DD`, ASCII digits, a real day of the proleptic Gregorian calendar from
// year 1 to 9999. Shared by the formula evaluator (date ranges count days) and validation.

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 (Howard Hinnant's `days_from_civil`); no `Date`, which maps
 *  years 0–99 to the 1900s. */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The day number of a `YYYY-MM-DD` date, or null when it is not one. */
export function parseDate(s: string): number | null {
  if (s.length !== 10 || s[4] !== '-' || s[7] !== '-') return null;
  const part = (from: number, to: number): number | null => {
    let n = 0;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      n = n * 10 + (c - 48);
    }
    return n;
  };
  const y = part(0, 4);
  const m = part(5, 7);
  const d = part(8, 10);
  if (y === null || m === null || d === null || y < 1) return null;
  if (m < 1 || m > 12 || d < 1) return null;
  const max = m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m - 1];
  if (d > max) return null;
  return daysFromCivil(y, m, d);
}

/** Exactly `YYYY-MM-DDTHH:MM` (the organization's local time). */
export function validDatetime(s: string): boolean {
  if (s.length !== 16 || s[10] !== 'T' || s[13] !== ':' || !/^[\x00-\x7f]*$/.test(s)) return false;
  const two = (i: number): number | null =>
    /^[0-9]{2}$/.test(s.slice(i, i + 2)) ? Number(s.slice(i, i + 2)) : null;
  const h = two(11);
  const min = two(14);
  return parseDate(s.slice(0, 10)) !== null && h !== null && h < 24 && min !== null && min < 60;
}

/** The days from start to end, both included; null unless both are dates, in order. */
export function rangeDays(start: unknown, end: unknown): number | null {
  if (typeof start !== 'string' || typeof end !== 'string') return null;
  const a = parseDate(start);
  const b = parseDate(end);
  if (a === null || b === null || a > b) return null;
  return b - a + 1;
}
