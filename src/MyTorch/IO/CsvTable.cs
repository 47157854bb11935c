using System.Diagnostics.CodeAnalysis;

namespace MyTorch.IO;

/// <summary>
/// A numeric CSV file in memory: the header's column names and every cell as a double, row-major.
/// Select columns as a float32 tensor with <see cref="Columns"/> or <see cref="AllExcept"/>.
/// </summary>
public sealed class CsvTable
{
    private readonly string[] header;
    private readonly double[] values;

    /// <summary>Wraps parsed data; <paramref name="values"/> holds <c>rows * header.Length</c> cells, row-major.</summary>
    /// <param name="header">The column names, in file order.</param>
    /// <param name="values">The cells, row-major.</param>
    /// <param name="sourcePath">The file the table came from, named in errors; null for a table built in memory.</param>
    public CsvTable(string[] header, double[] values, string? sourcePath = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(values);
        if (header.Length == 0) throw new ArgumentException("A CSV table needs at least one column.", nameof(header));
        if (values.Length % header.Length != 0)
            throw new ArgumentException($"{values.Length} values do not fill whole rows of {header.Length} columns.", nameof(values));
        this.header = header;
        this.values = values;
        SourcePath = sourcePath;
        Rows = values.Length / header.Length;
    }

    /// <summary>The column names, in file order.</summary>
#pragma warning disable CA1819 // The table is a plain data holder; copying on every access would only cost.
    public string[] Header => header;

    /// <summary>Every cell, row-major: the cell at (row, column) is <c>Values[row * ColumnCount + column]</c>.</summary>
    public double[] Values => values;
#pragma warning restore CA1819

    /// <summary>The number of data rows (the header not counted).</summary>
    public int Rows { get; }

    /// <summary>The number of columns. (Named so because <see cref="Columns"/> selects columns.)</summary>
    public int ColumnCount => header.Length;

    /// <summary>The file the table was read from, or null.</summary>
    public string? SourcePath { get; }

    /// <summary>The position of the column called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No column has that name; the message lists the known ones.</exception>
    public int IndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int index = Array.IndexOf(header, name);
        if (index < 0) ThrowUnknownColumn(name);
        return index;
    }

    /// <summary>The named columns, in the order given, as a float32 tensor of shape <c>(Rows, names.Length)</c>.</summary>
    /// <exception cref="ArgumentException">A name is unknown (the message lists the known ones), or none is given.</exception>
    public Tensor Columns(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Length == 0) throw new ArgumentException("Columns: name at least one column.", nameof(names));
        var indices = new int[names.Length];
        for (int i = 0; i < names.Length; i++) indices[i] = IndexOf(names[i]);
        return Gather(indices);
    }

    /// <summary>Every column except the named ones, in file order, as a float32 tensor (for features without the target).</summary>
    /// <exception cref="ArgumentException">A name is unknown, or no column would be left.</exception>
    public Tensor AllExcept(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var excluded = new HashSet<int>();
        foreach (string name in names) excluded.Add(IndexOf(name));
        var indices = new int[header.Length - excluded.Count];
        for (int i = 0, k = 0; i < header.Length; i++)
            if (!excluded.Contains(i)) indices[k++] = i;
        if (indices.Length == 0)
            throw new ArgumentException($"AllExcept: excluding {MessageText.List(names)} leaves no columns; the table has only {MessageText.List(header)}.", nameof(names));
        return Gather(indices);
    }

    private Tensor Gather(int[] indices)
    {
        var result = new float[(long)Rows * indices.Length];
        int columns = header.Length;
        for (int row = 0, k = 0; row < Rows; row++)
        {
            int start = row * columns;
            foreach (int column in indices)
            {
                float value = (float)values[start + column];
                if (float.IsInfinity(value)) ThrowFloatOverflow(row, column);
                result[k++] = value;
            }
        }
        return new Tensor(result, [Rows, indices.Length], DType.Float32);
    }

    [DoesNotReturn]
    private void ThrowFloatOverflow(int row, int column) =>
        throw new DataFormatException(SourcePath ?? "CSV table", "the value does not fit in float32", row: row + 2L,
            column: header[column], expected: "a magnitude below 3.4e38",
            found: values[(long)row * header.Length + column].ToString("R", System.Globalization.CultureInfo.InvariantCulture));

    [DoesNotReturn]
    private void ThrowUnknownColumn(string name) =>
        throw new ArgumentException(
            $"{MessageText.Clean(SourcePath ?? "CSV table", 200)} has no column {MessageText.Quote(name)}; its columns are {MessageText.List(header)}.", nameof(name));
}
