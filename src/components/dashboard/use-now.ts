"use client";

import { useEffect, useState } from "react";

/**
 * The reader's clock: null during the server's render (so both renders agree), then the time now,
 * ticking every `everyMs` so relative times ("in 20 s") count down.
 */
export function useNow(everyMs = 1000): Date | null {
  const [now, setNow] = useState<Date | null>(null);
  useEffect(() => {
    const first = setTimeout(() => setNow(new Date()), 0);
    const t = setInterval(() => setNow(new Date()), everyMs);
    return () => {
      clearTimeout(first);
      clearInterval(t);
    };
  }, [everyMs]);
  return now;
}
