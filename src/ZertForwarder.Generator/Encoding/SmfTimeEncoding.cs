namespace ZertForwarder.Generator.Encoding;

/// <summary>
/// SMF date and time encodings, written from layout §C.3: packed <c>0cyydddF</c> dates, hundredths of a second
/// since midnight, and TOD-clock (STCK) units.
/// </summary>
public static class SmfTimeEncoding
{
    /// <summary>Hundredths of a second in one day; SMF time fields range 0 … 8,639,999 (layout §C.3).</summary>
    public const uint HundredthsPerDay = 8_640_000;

    /// <summary>.NET ticks (100 ns) per hundredth of a second.</summary>
    public const long TicksPerHundredth = TimeSpan.TicksPerMillisecond * 10;

    /// <summary>
    /// Packs a date as <c>0cyydddF</c> (layout §C.3): c = (year − 1900) / 100, yy = year mod 100, ddd = day of year,
    /// sign nibble F. Example: 2024-10-31 → X'0124305F'. Years 1900-2199 only.
    /// </summary>
    public static uint PackDate(DateOnly date)
    {
        if (date.Year < 1900 || date.Year > 2199)
        {
            throw new ArgumentOutOfRangeException(nameof(date), date, "Packed SMF dates cover 1900-2199 only.");
        }

        var century = (uint)((date.Year - 1900) / 100);
        var yy = (uint)(date.Year % 100);
        var ddd = (uint)date.DayOfYear;
        return (century << 24)
            | ((yy / 10) << 20) | ((yy % 10) << 16)
            | ((ddd / 100) << 12) | ((ddd / 10 % 10) << 8) | ((ddd % 10) << 4)
            | 0xF;
    }

    /// <summary>Hundredths of a second since midnight of the given instant's own day (no time-zone conversion).</summary>
    public static uint HundredthsSinceMidnight(DateTime time) => (uint)(time.TimeOfDay.Ticks / TicksPerHundredth);

    /// <summary>Splits an instant into the SMF (time, date) pair, truncating to hundredths.</summary>
    public static (uint Time, DateOnly Date) Split(DateTime time) => (HundredthsSinceMidnight(time), DateOnly.FromDateTime(time));

    /// <summary>
    /// Converts a duration into TOD-clock units: bit 51 is one microsecond, so the value is microseconds &lt;&lt; 12
    /// (layout §C.3; used by SMF119SS_SAIntervalDuration).
    /// </summary>
    public static ulong ToTodUnits(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "Durations are non-negative.");
        }

        var microseconds = (ulong)(duration.Ticks / 10);
        return microseconds << 12;
    }

    /// <summary>
    /// Certificate notAfter text (layout §2.3 SCert_Time): time type 1 = UTCTime <c>YYMMDDhhmmssZ</c> (13 chars),
    /// type 2 = GeneralizedTime <c>YYYYMMDDhhmmssZ</c> (15 chars).
    /// </summary>
    public static string CertificateTimeText(DateTime notAfterUtc, byte timeType) => timeType switch
    {
        1 => notAfterUtc.ToString("yyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "Z",
        2 => notAfterUtc.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "Z",
        _ => throw new ArgumentOutOfRangeException(nameof(timeType), timeType, "Certificate time type is 1 (UTCTime) or 2 (GeneralizedTime)."),
    };
}
