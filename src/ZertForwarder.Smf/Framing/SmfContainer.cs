namespace ZertForwarder.Smf.Framing;

/// <summary>How SMF records are framed in a file (layout spec §C).</summary>
public enum SmfContainer
{
    /// <summary>Detect from the first bytes: VBS blocks first (their BDW would also pass as an RDW), then RDWs.</summary>
    Auto = 0,

    /// <summary>Each logical record prefixed by its 4-byte RDW (FTP binary with SITE RDW / LOCSITE RDW), §C.2.</summary>
    Rdw,

    /// <summary>Raw VBS blocks: BDW + SDW segments, spanned records reassembled, §C.1.</summary>
    Vbs,
}
