import { oauthCookie, secureCookies } from "@/lib/auth/sign-in";
import { appDb } from "@/lib/db/app-db";
import { AccountsError, startAuthorization } from "@/lib/spotify/accounts";

export const dynamic = "force-dynamic";

/** GET /api/auth/login — off to Spotify's consent page, with state and a PKCE challenge. */
export async function GET(): Promise<Response> {
  const { config } = appDb();
  try {
    const { url, state, codeVerifier } = startAuthorization(config);
    return new Response(null, {
      status: 302,
      headers: { location: url.toString(), "set-cookie": oauthCookie(state, codeVerifier, secureCookies(config)), "cache-control": "no-store" },
    });
  } catch (err) {
    const code = err instanceof AccountsError ? err.code : "unexpected";
    return Response.redirect(`${config.appUrl}/?error=${code}`, 302);
  }
}
