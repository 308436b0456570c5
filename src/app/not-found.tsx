import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Not found" };

/** Our own 404 (Next's default one brings an inline <style> the Content-Security-Policy refuses). */
export default function NotFound() {
  return (
    <main>
      <h1>Not found</h1>
      <p className="muted">There is nothing at this address.</p>
      <p>
        <Link href="/">Back to Liner</Link> · <Link href="/dashboard">Your dashboard</Link>
      </p>
    </main>
  );
}
