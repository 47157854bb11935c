namespace MyTorch.IO;

/// <summary>How <see cref="Csv"/> reads and writes a file; validated when set.</summary>
public sealed record CsvOptions
{
    private readonly char separator = ',';

    /// <summary>Options with the defaults: comma-separated.</summary>
    public CsvOptions() { }

    /// <summary>Options with the given field separator (for example <c>';'</c> or <c>'\t'</c>).</summary>
    public CsvOptions(char separator) => Separator = separator;

    /// <summary>The character between fields; not a quote, carriage return or line feed. Default <c>','</c>.</summary>
    public char Separator
    {
        get => separator;
        init
        {
            if (value is '"' or '\r' or '\n')
                throw new ArgumentOutOfRangeException(nameof(value), value, "A CSV separator cannot be a quote, carriage return or line feed.");
            separator = value;
        }
    }
}
