using ZertForwarder.Pipeline;

namespace ZertForwarder.Pipeline.Tests;

/// <summary>URLs are shown without user info wherever they appear (README "Configuration", issue 8 finding 5).</summary>
public sealed class UrlRedactionTests
{
    [Theory]
    [InlineData("http://user:pw@es:9200", "http://es:9200")]
    [InlineData("https://user:p%40ss@es.example.org:9200/prefix/?q=1", "https://es.example.org:9200/prefix/?***")]
    [InlineData("https://es:9200/?api_key=QSECRET77", "https://es:9200/?***")]
    [InlineData("https://es:9200/#token=QSECRET77", "https://es:9200/#***")]
    [InlineData("https://es:9200/?", "https://es:9200/?")]
    [InlineData("https://user@es:9200/", "https://es:9200/")]
    [InlineData("https://es:9200/a@b", "https://es:9200/a@b")]
    [InlineData("user:pw@es:9200", "es:9200")]
    // System.Uri reads any two of '/' and '\' after the scheme as "//"; a '\' in the authority it refuses, so the user
    // info is looked for past one (a bad value is still shown in messages).
    [InlineData(@"http:/\u:p@h", @"http:/\h")]
    [InlineData(@"http:\/u:p@h", @"http:\/h")]
    [InlineData(@"http:\\u:p@h/x", @"http:\\h/x")]
    [InlineData(@"http://h\u:p@x", @"http://x")]
    [InlineData("https://es:9200", "https://es:9200")]
    [InlineData("", "")]
    public void Redact_drops_the_user_info_hides_the_query_and_keeps_the_rest(string url, string shown) => Assert.Equal(shown, UrlRedaction.Redact(url));

    [Fact]
    public void RedactIn_removes_the_password_from_a_library_message_in_every_spelling()
    {
        const string Url = "http://user:p%40ss@es:9200";
        var message = $"Connection to {Url} failed; credentials user:p%40ss; password p@ss";

        var shown = UrlRedaction.RedactIn(message, Url);

        Assert.Contains("http://es:9200", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("p%40ss", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("p@ss", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void RedactIn_hides_a_query_whether_the_message_quotes_the_whole_url_or_only_the_query()
    {
        const string Url = "https://es:9200/?api_key=QSECRET77";
        var shown = UrlRedaction.RedactIn($"GET {Url} failed; query api_key=QSECRET77", Url);

        Assert.Equal("GET https://es:9200/?*** failed; query ***", shown);
    }
}
