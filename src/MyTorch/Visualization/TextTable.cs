using System.Text;

namespace MyTorch.Visualization;

/// <summary>
/// A table of text cells (a cell may hold several lines), printed as aligned plain text by <see cref="ToString"/>;
/// the command line draws the same table with borders when it writes to a terminal.
/// </summary>
public sealed class TextTable
{
    private readonly List<string[]> rows = [];

    /// <summary>Creates a table with these column headers.</summary>
    public TextTable(params string[] headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.Length == 0) throw new ArgumentException("TextTable: a table needs at least one column.", nameof(headers));
        Headers = headers;
    }

    /// <summary>An optional title, printed above the table.</summary>
    public string? Title { get; init; }

    /// <summary>The column headers.</summary>
    public IReadOnlyList<string> Headers { get; }

    /// <summary>The rows, each with one cell per column.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => rows;

    /// <summary>Adds a row; missing trailing cells are empty.</summary>
    public TextTable AddRow(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length > Headers.Count)
            throw new ArgumentException($"TextTable: a row of {cells.Length} cells for {Headers.Count} columns.", nameof(cells));
        var row = new string[Headers.Count];
        for (int i = 0; i < row.Length; i++) row[i] = i < cells.Length ? cells[i] ?? "" : "";
        rows.Add(row);
        return this;
    }

    /// <summary>The table as plain text: columns two spaces apart, the header underlined, multi-line cells aligned.</summary>
    public override string ToString()
    {
        int columns = Headers.Count;
        var widths = new int[columns];
        void Measure(IReadOnlyList<string> cells)
        {
            for (int c = 0; c < columns; c++)
                foreach (var line in Lines(cells[c])) widths[c] = Math.Max(widths[c], line.Length);
        }
        Measure(Headers);
        foreach (var row in rows) Measure(row);

        var text = new StringBuilder();
        if (Title is not null) text.Append(Title).Append('\n');
        AppendRow(text, Headers, widths);
        text.Append(string.Join("  ", widths.Select(w => new string('-', w))).TrimEnd()).Append('\n');
        foreach (var row in rows) AppendRow(text, row, widths);
        return text.ToString();
    }

    private static string[] Lines(string cell) => cell.Split('\n');

    private static void AppendRow(StringBuilder text, IReadOnlyList<string> cells, int[] widths)
    {
        var lines = cells.Select(Lines).ToArray();
        int height = lines.Max(l => l.Length);
        for (int h = 0; h < height; h++)
        {
            var line = new StringBuilder();
            for (int c = 0; c < cells.Count; c++)
            {
                if (c > 0) line.Append("  ");
                line.Append((h < lines[c].Length ? lines[c][h] : "").PadRight(widths[c]));
            }
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
    }
}
