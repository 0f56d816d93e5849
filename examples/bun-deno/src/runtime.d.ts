// The few Bun and Deno globals this example uses (install bun-types or use `deno check` for the full ones).
declare const Bun:
  | {
      serve(options: { port: number; fetch: (request: Request) => Response | Promise<Response> }): {
        port: number;
      };
    }
  | undefined;
declare const Deno:
  | { serve(options: { port: number }, handler: (request: Request) => Response | Promise<Response>): unknown }
  | undefined;
