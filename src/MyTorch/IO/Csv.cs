using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace MyTorch.IO;

/// <summary>
/// Reads and writes numeric CSV files: a header row of column names, then rows of numbers.
/// Fields may be quoted (<c>"a,b"</c>, with <c>""</c> for a quote inside); numbers use the invariant culture
/// (<c>12.5</c>, <c>-3e-2</c>); NaN and infinities are rejected; blank lines at the end are ignored.
/// </summary>
/// <remarks>
/// Rows in errors are numbered from 1 with the header as row 1, so the first data row is row 2: the line number a
/// text editor shows, unless a quoted field spans lines (the message then adds the line).
/// </remarks>
public static class Csv
{
    private const int MaxShownCell = 32;

    /// <summary>
    /// The largest file read (1 GB): the reader holds the whole text in one string, and .NET strings stop near 2^30
    /// characters, so a larger file would fail with an out-of-memory error rather than a clear one.
    /// </summary>
    public const long MaxFileBytes = 1_000_000_000;

    /// <summary>Reads <paramref name="path"/> into a <see cref="CsvTable"/>. Unquoted header names are trimmed of surrounding spaces.</summary>
    /// <exception cref="DataFormatException">The header is missing or repeats a name, a row has the wrong number
    /// of fields, a cell is not a finite number, a quote is not closed, or a blank line is followed by data
    /// (the message names the row and column); or the file is larger than <see cref="MaxFileBytes"/>; or the path is
    /// not a regular file (a directory, device or FIFO); or its data is too large for the memory available.</exception>
    /// <exception cref="UnauthorizedAccessException">The file exists but this process may not read it.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static CsvTable Read(string path, CsvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new CsvOptions();
        return ReaderMemory.Guard(path, "Csv.Read", () => ReadUnguarded(path, options));
    }

    private static CsvTable ReadUnguarded(string path, CsvOptions options)
    {
        InputFile.CheckRegular(path);
        long length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
            throw new DataFormatException(path, "the file is too large for the CSV reader, which holds it in memory as one string", offset: MaxFileBytes,
                expected: $"at most {MaxFileBytes} bytes", found: $"{length} bytes");
        string text = ReadText(path);
        var parser = new Parser(path, text, options.Separator);
        // Sized from the first line, so a header of a million names does not grow the list (and its garbage) by doubling.
        int firstLine = text.AsSpan().IndexOfAny('\n', '\r');
        var fields = new List<Parser.Field>(text.AsSpan(0, firstLine < 0 ? text.Length : firstLine).Count(options.Separator) + 1);

        if (!parser.ReadRecord(fields) || parser.IsBlank(fields))
            throw new DataFormatException(path, "the file has no header row", row: 1,
                expected: "a first row of column names", found: text.Length == 0 ? "an empty file" : "a blank line");
        var header = new string[fields.Count];
        var seen = new HashSet<string>(header.Length, StringComparer.Ordinal);
        for (int i = 0; i < header.Length; i++)
        {
            string name = fields[i].Quoted ? parser.Text(fields[i]).ToString() : parser.Text(fields[i]).Trim().ToString();
            if (!seen.Add(name))
                throw new DataFormatException(path, $"the header names column {MessageText.Quote(name)} twice (columns {Array.IndexOf(header, name) + 1} and {i + 1})",
                    row: 1, column: name, expected: "distinct column names", found: "a repeated name");
            header[i] = name;
        }

        var values = new CellBuffer();
        long blankRow = 0, blankLine = 0;
        int dataStart = parser.Position;
        while (parser.ReadRecord(fields))
        {
            long row = parser.Row;
            if (parser.IsBlank(fields))
            {
                if (blankRow == 0) (blankRow, blankLine) = (row, parser.RecordLine);
                continue;
            }
            if (blankRow != 0)
                throw new DataFormatException(path, "a blank line comes before more data" + Parser.LineNote(blankRow, blankLine),
                    row: blankRow, expected: "blank lines only at the end of the file", found: $"data again at row {row}");
            if (fields.Count != header.Length)
                throw new DataFormatException(path, "the row has the wrong number of fields" + Parser.LineNote(row, parser.RecordLine),
                    row: row, expected: $"{header.Length} fields, as in the header", found: $"{fields.Count} fields");
            if (values.Count == 0)
            {
                // Rows like the first, to the end of the file: exact for files of uniform rows, so the cells are never
                // copied; every cell takes at least two characters, which bounds a guess made from a short first row.
                long rows = (text.Length - dataStart) / Math.Max(1, parser.Position - dataStart);
                values.Reserve(Math.Min(rows * header.Length, (text.Length - dataStart) / 2 + header.Length));
            }
            for (int column = 0; column < fields.Count; column++)
                values.Add(ParseCell(parser, fields[column], row, header[column]));
        }
        return new CsvTable(header, values.ToArray(), path);
    }

    private static double ParseCell(Parser parser, Parser.Field field, long row, string column)
    {
        var cell = parser.Text(field);
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            ThrowBadCell(parser, cell.ToString(), row, column, parsed: !cell.IsWhiteSpace() && double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        return value;
    }

    /// <summary>The cells read so far, in an array sized once from the first row and grown only if later rows are longer.</summary>
    private sealed class CellBuffer
    {
        private double[] cells = [];

        public int Count { get; private set; }

        public void Reserve(long capacity) => cells = new double[Math.Clamp(capacity, 1, Array.MaxLength)];

        public void Add(double value)
        {
            if (Count == cells.Length) Array.Resize(ref cells, (int)Math.Min(Array.MaxLength, Math.Max(16, 2L * cells.Length)));
            cells[Count++] = value;
        }

        /// <summary>The cells; the buffer itself when it is exactly full.</summary>
        public double[] ToArray() => Count == cells.Length ? cells : cells[..Count];
    }

    /// <summary>
    /// The file as text, decoded from one array of its bytes (a stream reader would hold the text twice while it grows
    /// its buffer); a UTF-8 byte order mark is dropped, and a UTF-16 or UTF-32 one is honoured as File.ReadAllText does.
    /// </summary>
    private static string ReadText(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && (bytes[0], bytes[1]) is (0xFF, 0xFE) or (0xFE, 0xFF) || bytes.Length >= 4 && bytes.AsSpan(0, 4).SequenceEqual(new byte[] { 0, 0, 0xFE, 0xFF }))
            return File.ReadAllText(path, Encoding.UTF8);
        int start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? 3 : 0;
        return Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
    }

    [DoesNotReturn]
    private static void ThrowBadCell(Parser parser, string cell, long row, string column, bool parsed)
    {
        string shown = MessageText.Clean(cell, MaxShownCell);
        string problem = cell.Trim().Length == 0 ? "the cell is empty"
            : parsed ? $"'{shown}' is not a finite number"
            : $"'{shown}' is not a number";
        throw new DataFormatException(parser.Path, problem + Parser.LineNote(row, parser.RecordLine), row: row, column: column,
            expected: "a finite number in invariant culture, such as 12.5 or -3e-2", found: $"'{shown}'");
    }

    /// <summary>
    /// Writes a numeric CSV file (replaced atomically): the header, then one row per <c>header.Count</c> values.
    /// Numbers are written in invariant culture with enough digits to read back exactly.
    /// </summary>
    /// <exception cref="ArgumentException">The header is empty, the values do not fill whole rows, or a value is NaN or infinite.</exception>
    public static void Write(string path, IReadOnlyList<string> header, double[] values, CsvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(values);
        options ??= new CsvOptions();
        int columns = header.Count;
        if (columns == 0) throw new ArgumentException("Csv.Write: the header needs at least one column name.", nameof(header));
        foreach (string? name in header) ArgumentNullException.ThrowIfNull(name, nameof(header));
        if (values.Length % columns != 0)
            throw new ArgumentException($"Csv.Write: {values.Length} values do not fill whole rows of {columns} columns.", nameof(values));
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Csv.Write: the value at data row {i / columns + 1}, column '{header[i % columns]}' is {values[i]}; CSV files hold finite numbers only."),
                    nameof(values));

        char separator = options.Separator;
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
            writer.NewLine = "\n";
            for (int c = 0; c < columns; c++)
            {
                if (c > 0) writer.Write(separator);
                writer.Write(QuoteIfNeeded(header[c], separator));
            }
            writer.WriteLine();
            for (int i = 0; i < values.Length; i++)
            {
                writer.Write(values[i].ToString("R", CultureInfo.InvariantCulture));
                writer.Write(i % columns == columns - 1 ? '\n' : separator);
            }
        });
    }

    /// <summary>Writes a 2-D tensor of shape <c>(rows, header.Count)</c> as a numeric CSV file (see the array overload).</summary>
    /// <exception cref="ArgumentException">The tensor is not 2-D with one column per header name, or holds NaN or infinity.</exception>
    public static void Write(string path, IReadOnlyList<string> header, Tensor values, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Rank != 2 || values.Shape[1] != header.Count)
            throw new ArgumentException(
                $"Csv.Write: expected a tensor of shape (rows, {header.Count}) for {header.Count} columns, got {Shapes.Format(values.Shape)}.", nameof(values));
        Write(path, header, values.ToArray<double>(), options);
    }

    private static string QuoteIfNeeded(string name, char separator)
    {
        bool needsQuotes = name.Length > 0 && (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
            || name.AsSpan().IndexOfAny(['"', '\r', '\n', separator]) >= 0;
        return needsQuotes ? "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : name;
    }

    /// <summary>Splits the text into records of fields, tracking the record (row) and line numbers for errors.</summary>
    private sealed class Parser(string path, string text, char separator)
    {
        private int position;
        private long line = 1;

        /// <summary>One field: a range of the text, or its unescaped value when it held doubled quotes.</summary>
        public readonly record struct Field(int Start, int Length, bool Quoted, string? Unescaped);

        public string Path => path;

        /// <summary>Where the next record starts in the text.</summary>
        public int Position => position;

        /// <summary>The 1-based number of the record last read (the header is 1).</summary>
        public long Row { get; private set; }

        /// <summary>The line on which the record last read starts.</summary>
        public long RecordLine { get; private set; }

        public ReadOnlySpan<char> Text(Field field) => field.Unescaped ?? text.AsSpan(field.Start, field.Length);

        public bool IsBlank(List<Field> fields) => fields.Count == 1 && !fields[0].Quoted && Text(fields[0]).IsWhiteSpace();

        /// <summary>" (line N)" when a quoted field spanning lines makes the row and line numbers differ.</summary>
        public static string LineNote(long row, long recordLine) =>
            row == recordLine ? "" : string.Create(CultureInfo.InvariantCulture, $" (line {recordLine})");

        public bool ReadRecord(List<Field> fields)
        {
            fields.Clear();
            if (position >= text.Length) return false;
            Row++;
            RecordLine = line;
            while (true)
            {
                fields.Add(position < text.Length && text[position] == '"' ? ReadQuoted() : ReadPlain());
                if (position >= text.Length) return true;
                char c = text[position++];
                if (c == separator) continue;
                if (c == '\r' && position < text.Length && text[position] == '\n') position++;
                line++;
                return true;
            }
        }

        private Field ReadPlain()
        {
            int start = position;
            while (position < text.Length)
            {
                char c = text[position];
                if (c == separator || c == '\n' || c == '\r') break;
                position++;
            }
            return new Field(start, position - start, false, null);
        }

        private Field ReadQuoted()
        {
            int start = ++position;
            StringBuilder? unescaped = null;
            while (true)
            {
                int quote = text.IndexOf('"', position);
                if (quote < 0)
                    throw new DataFormatException(path, "a quoted field is not closed" + LineNote(Row, RecordLine), row: Row,
                        expected: "a closing quote", found: "the end of the file");
                line += text.AsSpan(position, quote - position).Count('\n');
                if (quote + 1 < text.Length && text[quote + 1] == '"')
                {
                    (unescaped ??= new StringBuilder()).Append(text, position, quote + 1 - position);
                    position = quote + 2;
                    continue;
                }
                unescaped?.Append(text, position, quote - position);
                int length = quote - start;
                position = quote + 1;
                if (position < text.Length && text[position] != separator && text[position] != '\n' && text[position] != '\r')
                    throw new DataFormatException(path, "unexpected text after a closing quote" + LineNote(Row, RecordLine), row: Row,
                        expected: "a separator or the end of the line", found: MessageText.Quote(text[position].ToString()));
                return new Field(start, length, true, unescaped?.ToString());
            }
        }
    }
}
