// Shared set-up of the DuckDB reference scripts: an in-memory database
// that may fetch or load no extension (everything the references use is
// core DuckDB), and SQL quoting.
import { DuckDBInstance } from '@duckdb/node-api';

// lit quotes a string as an SQL literal, ident as an SQL identifier.
export const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;
export const ident = (s) => `"${String(s).replaceAll('"', '""')}"`;

// open returns a connection to a fresh in-memory database on two threads,
// all(sql), which runs a query and returns its rows as JS values, and
// close(), which closes the connection and the database.
export async function open() {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    threads: '2',
  });
  const con = await instance.connect();
  const all = async (sql) => (await con.runAndReadAll(sql)).getRowsJS();
  const close = () => {
    con.closeSync?.();
    instance.closeSync?.();
  };
  return { con, all, close };
}
