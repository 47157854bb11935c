using System.Globalization;
using System.Text;

namespace MyTorch.IO;

/// <summary>
/// Thrown by every MyTorch reader (IDX, MNIST, CSV, safetensors) when a file's contents are malformed.
/// The message names the file, where the problem is (byte offset, or row and column) and what was expected and found.
/// </summary>
/// <remarks>
/// It derives from <see cref="IOException"/> (<see cref="InvalidDataException"/> is sealed), so a caller's
/// <c>catch (IOException)</c> handles missing, unreadable and malformed files alike.
/// For gzip-compressed files <see cref="Offset"/> counts bytes of the decompressed data, and the message says so.
/// CSV rows are numbered from 1 with the header as row 1, so the first data row is row 2 (the line a text editor
/// or spreadsheet shows, unless a quoted field spans lines).
/// Every part of the message goes through <see cref="MessageText.Clean"/>: control characters from the file are
/// escaped and long text is cut, so the message is one line of bounded length whatever the file holds.
/// </remarks>
public sealed class DataFormatException : IOException
{
    /// <summary>Creates the exception with a generic message; prefer the constructor that names the file.</summary>
    public DataFormatException() : this("The data file is malformed.") { }

    /// <summary>Creates the exception with a ready-made message and no location.</summary>
    public DataFormatException(string message) : base(MessageText.Clean(message, MaxMessagePart)) => FilePath = string.Empty;

    /// <summary>Creates the exception with a ready-made message, no location and the underlying error.</summary>
    public DataFormatException(string message, Exception innerException) : base(MessageText.Clean(message, MaxMessagePart), innerException) =>
        FilePath = string.Empty;

    /// <summary>
    /// Creates the exception for a problem in <paramref name="filePath"/>; the message is composed from the file, the
    /// location (<paramref name="offset"/>, or <paramref name="row"/> and <paramref name="column"/>), the problem,
    /// and <paramref name="expected"/> versus <paramref name="found"/> when given.
    /// </summary>
    public DataFormatException(string filePath, string problem, long? offset = null, long? row = null, string? column = null,
        string? expected = null, string? found = null, Exception? innerException = null)
        : base(Compose(filePath, problem, offset, row, column, expected, found), innerException)
    {
        FilePath = filePath;
        Offset = offset;
        Row = row;
        Column = column;
        Expected = expected;
        Found = found;
    }

    /// <summary>The file that is malformed, as the caller named it; empty when unknown.</summary>
    public string FilePath { get; }

    /// <summary>The byte offset of the problem (in the decompressed data for gzip files), when it has one.</summary>
    public long? Offset { get; }

    /// <summary>The 1-based CSV row of the problem, counting the header as row 1; null for binary formats.</summary>
    public long? Row { get; }

    /// <summary>The name of the CSV column of the problem, when it has one.</summary>
    public string? Column { get; }

    /// <summary>What the reader expected at that place, when it can say.</summary>
    public string? Expected { get; }

    /// <summary>What the reader found instead, when it can say.</summary>
    public string? Found { get; }

    // The most characters of the path and of what was expected; file text inside a part is cut shorter by the reader
    // that quotes it. The problem may list a few mismatches, so it may be longer.
    private const int MaxMessagePart = 200;
    private const int MaxProblem = 360;

    private static string Compose(string filePath, string problem, long? offset, long? row, string? column,
        string? expected, string? found)
    {
        var text = new StringBuilder(MessageText.Clean(filePath, MaxMessagePart));
        var location = new List<string>(2);
        if (offset is long byteOffset) location.Add(string.Create(CultureInfo.InvariantCulture, $"byte offset {byteOffset}"));
        if (row is long rowNumber) location.Add(string.Create(CultureInfo.InvariantCulture, $"row {rowNumber}"));
        if (column is not null) location.Add($"column {MessageText.Quote(column, 32)}");
        if (location.Count > 0) text.Append(": ").Append(string.Join(", ", location));
        text.Append(": ").Append(MessageText.Clean(problem, MaxProblem));
        if (expected is not null)
            text.Append(" (expected ").Append(MessageText.Clean(expected, MaxMessagePart / 2))
                .Append(", found ").Append(MessageText.Clean(found ?? "nothing", MessageText.DefaultMaxLength)).Append(')');
        if (text[^1] != '.') text.Append('.');
        return text.ToString();
    }
}
