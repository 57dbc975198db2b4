/**
 * An incremental RFC 4180 parser: feed it text chunks, get back the complete rows so far. Quoted
 * fields may hold delimiters, doubled quotes and newlines, and may span chunks; CRLF and LF both
 * end a row; a UTF-8 byte-order mark is dropped.
 */
export class CsvParser {
  private carry = '';
  private started = false;
  private readonly delim: number;

  constructor(delimiter: string) {
    this.delim = delimiter.charCodeAt(0);
  }

  push(text: string): string[][] {
    let s = this.carry + text;
    if (!this.started && s.length) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const rows: string[][] = [];
    const used = this.parse(s, rows, false);
    this.carry = s.slice(used);
    return rows;
  }

  end(): string[][] {
    const rows: string[][] = [];
    const s = this.carry;
    this.carry = '';
    if (s.length) this.parse(s, rows, true);
    return rows;
  }

  /** Parses whole rows from `s`; returns how many characters were consumed. */
  private parse(s: string, rows: string[][], final: boolean): number {
    const n = s.length;
    const delim = this.delim;
    let pos = 0;
    while (pos < n) {
      const rowStart = pos;
      const row: string[] = [];
      let complete = false;
      for (;;) {
        if (pos < n && s.charCodeAt(pos) === 34) {
          // Quoted field: find the closing quote that is not doubled.
          let value = '';
          let from = pos + 1;
          let closed = false;
          for (;;) {
            const q = s.indexOf('"', from);
            if (q < 0) break;
            if (q + 1 < n && s.charCodeAt(q + 1) === 34) {
              value += s.slice(from, q + 1);
              from = q + 2;
              continue;
            }
            if (q + 1 >= n && !final) break; // a doubled quote may start in the next chunk
            value += s.slice(from, q);
            pos = q + 1;
            closed = true;
            break;
          }
          if (!closed) {
            if (!final) return rowStart;
            // Unterminated quote at end of file: take the rest as the field.
            row.push(value + s.slice(from));
            rows.push(row);
            return n;
          }
          // Anything between the closing quote and the delimiter is kept (lenient, like most readers).
          let end = pos;
          while (end < n) {
            const c = s.charCodeAt(end);
            if (c === delim || c === 10 || c === 13) break;
            end++;
          }
          row.push(end > pos ? value + s.slice(pos, end) : value);
          pos = end;
        } else {
          let end = pos;
          while (end < n) {
            const c = s.charCodeAt(end);
            if (c === delim || c === 10 || c === 13) break;
            end++;
          }
          row.push(s.slice(pos, end));
          pos = end;
        }
        if (pos >= n) {
          if (!final) return rowStart;
          complete = true;
          break;
        }
        const c = s.charCodeAt(pos);
        if (c === delim) {
          pos++;
          if (pos >= n && final) {
            row.push('');
            complete = true;
            break;
          }
          continue;
        }
        // End of row: \n, \r\n or a lone \r.
        if (c === 13) {
          if (pos + 1 >= n && !final) return rowStart;
          pos += pos + 1 < n && s.charCodeAt(pos + 1) === 10 ? 2 : 1;
        } else pos++;
        complete = true;
        break;
      }
      if (complete) rows.push(row);
    }
    return pos;
  }
}
