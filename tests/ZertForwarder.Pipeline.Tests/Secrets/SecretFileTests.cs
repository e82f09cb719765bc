using ZertForwarder.Sinks.Secrets;

namespace ZertForwarder.Pipeline.Tests.Secrets;

/// <summary>One rule for every secret file: tokens trimmed, passwords lose only their line end.</summary>
public sealed class SecretFileTests : IDisposable
{
    private readonly string _path = Path.GetTempFileName();

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData("abc-123\n", "abc-123")]
    [InlineData("  abc-123 \r\n", "abc-123")]
    [InlineData("abc-123", "abc-123")]
    public void A_token_is_trimmed(string content, string expected)
    {
        File.WriteAllText(_path, content);
        Assert.Equal(expected, SecretFile.ReadToken(_path));
    }

    [Theory]
    [InlineData("s3cret\n", "s3cret")]
    [InlineData("s3cret\r\n", "s3cret")]
    [InlineData(" two words  \n", " two words  ")]
    [InlineData("no line end", "no line end")]
    public void A_password_keeps_its_spaces_and_loses_its_line_end(string content, string expected)
    {
        File.WriteAllText(_path, content);
        Assert.Equal(expected, SecretFile.ReadPassword(_path));
    }
}
