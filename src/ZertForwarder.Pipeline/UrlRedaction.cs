namespace ZertForwarder.Pipeline;

/// <summary>
/// The one way a URL is shown anywhere (logs, errors, metric labels, dead letters): without its user info, so that a
/// password written as <c>https://user:password@host:9200</c> never leaves the configuration (README "Configuration"),
/// and with its query and fragment hidden (<c>?***</c>), where a key could be too (the settings refuse both; this is
/// for text that reaches a message anyway).
/// </summary>
public static class UrlRedaction
{
    private const int MinimumPasswordLengthToMask = 4;

    /// <summary>
    /// <paramref name="url"/> without the user info between <c>scheme://</c> and the last <c>@</c> of the authority.
    /// Works on text that is not a valid URI too (a mistyped setting is still printed in an error).
    /// </summary>
    public static string Redact(string? url)
    {
        if (string.IsNullOrEmpty(url)) return "";
        var (authorityStart, userInfoLength) = FindUserInfo(url);
        var shown = userInfoLength < 0 ? url : string.Concat(url.AsSpan(0, authorityStart), url.AsSpan(authorityStart + userInfoLength + 1));
        var hidden = QueryStart(shown, authorityStart);
        return hidden < 0 ? shown : string.Concat(shown.AsSpan(0, hidden), "***");
    }

    /// <summary>
    /// <paramref name="text"/> (a message from a library, which may quote the URL it was given) with the user info of
    /// <paramref name="url"/> replaced by <c>***</c> wherever it appears.
    /// </summary>
    public static string RedactIn(string text, string? url)
    {
        if (string.IsNullOrEmpty(text) || string.IsNullOrEmpty(url)) return text;
        var result = text.Replace(url, Redact(url), StringComparison.Ordinal);
        var (authorityStart, userInfoLength) = FindUserInfo(url);
        var query = QueryStart(url, authorityStart);
        if (query >= 0) result = result.Replace(url[query..], "***", StringComparison.Ordinal);
        if (userInfoLength <= 0) return result;
        var userInfo = url.Substring(authorityStart, userInfoLength);
        result = result.Replace(userInfo, "***", StringComparison.Ordinal);
        // The password alone, also as the client may have percent-decoded it. A very short one is left alone: replacing
        // every "ab" in a message would garble it, and such a password is no secret anyway.
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0 && userInfo.Length - colon - 1 >= MinimumPasswordLengthToMask)
        {
            var password = userInfo[(colon + 1)..];
            result = result.Replace(password, "***", StringComparison.Ordinal);
            result = result.Replace(Uri.UnescapeDataString(password), "***", StringComparison.Ordinal);
        }
        return result;
    }

    /// <summary>Where the text after the first <c>?</c> or <c>#</c> past the authority starts; -1 when there is none or it is empty.</summary>
    private static int QueryStart(string url, int authorityStart)
    {
        var mark = url.IndexOfAny(['?', '#'], authorityStart);
        return mark < 0 || mark == url.Length - 1 ? -1 : mark + 1;
    }

    /// <summary>Where the authority starts and how long its user info is (-1: none; the '@' follows it).</summary>
    private static (int AuthorityStart, int UserInfoLength) FindUserInfo(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var authorityStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], authorityStart);
        if (authorityEnd < 0) authorityEnd = url.Length;
        var at = authorityEnd > authorityStart ? url.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart) : -1;
        return (authorityStart, at < 0 ? -1 : at - authorityStart);
    }
}
