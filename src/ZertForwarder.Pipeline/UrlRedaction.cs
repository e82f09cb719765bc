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
    /// <paramref name="url"/> without the user info between <c>scheme://</c> (or <c>scheme:\\</c>, see
    /// <see cref="AuthorityStart"/>) and the last <c>@</c> of the authority.
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

    /// <summary>
    /// Just past the first <c>:</c> followed by two slashes, where either may be <c>\</c>: .NET's <see cref="Uri"/>,
    /// which the connections use, reads <c>http:/\u:p@h</c>, <c>http:\/u:p@h</c> and <c>http:\\u:p@h</c> as
    /// <c>http://u:p@h</c>, so the user info starts there for them too. 0 when there is no such separator.
    /// </summary>
    private static int AuthorityStart(string url)
    {
        for (var colon = url.IndexOf(':', StringComparison.Ordinal); colon >= 0 && colon + 2 < url.Length; colon = url.IndexOf(':', colon + 1))
        {
            if (IsSlash(url[colon + 1]) && IsSlash(url[colon + 2])) return colon + 3;
        }
        return 0;
    }

    private static bool IsSlash(char c) => c is '/' or '\\';

    /// <summary>Where the authority starts and how long its user info is (-1: none; the '@' follows it).</summary>
    private static (int AuthorityStart, int UserInfoLength) FindUserInfo(string url)
    {
        var authorityStart = AuthorityStart(url);
        // A '\' does not end the authority here: System.Uri refuses one there rather than reading it as '/', so such
        // text reaches only messages about a bad value, and ending at it would show a "u:p@" that follows it.
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], authorityStart);
        if (authorityEnd < 0) authorityEnd = url.Length;
        var at = authorityEnd > authorityStart ? url.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart) : -1;
        return (authorityStart, at < 0 ? -1 : at - authorityStart);
    }
}
