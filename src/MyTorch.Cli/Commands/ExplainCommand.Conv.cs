using System.Globalization;
using System.Text;
using MyTorch.Cli.Reporting;
using MyTorch.Visualization;

namespace MyTorch.Cli.Commands;

// mytorch explain --example conv: a convolution and a max-pool, forward and backward, by hand and by autograd.
public static partial class ExplainCommand
{
    private const int ConvInput = 5, ConvKernel = 3;

    // A 5x5 image with small whole values and a 3x3 kernel with distinct weights, so every product can be followed.
    private static readonly double[] ConvImage =
    [
        1, 2, 0, 1, 3,
        0, 1, 2, 3, 1,
        1, 0, 1, 2, 2,
        2, 1, 0, 1, 0,
        1, 3, 1, 0, 1,
    ];

    private static readonly double[] ConvWeights = [0.2, -0.1, 0.3, 0.5, -0.4, 0.1, -0.3, 0.2, 0.6];

    private const double ConvBias = 0.1;

    private static int Conv(Settings s, int stride, int padding)
    {
        if (stride < 1 || stride > 4)
            throw new ArgumentException($"Invalid value '{stride}' for option --stride: expected 1 to 4.");
        if (padding < 0 || padding > 2)
            throw new ArgumentException($"Invalid value '{padding}' for option --padding: expected 0 to 2 (the kernel is 3x3).");
        int outSize = (ConvInput + 2 * padding - ConvKernel) / stride + 1;
        var o = s.Output;
        o.Line($"a convolution of a 1-channel {ConvInput}x{ConvInput} image with one {ConvKernel}x{ConvKernel} kernel, stride {stride}, padding {padding}: " +
            $"a {outSize}x{outSize} output, O = ({ConvInput} + 2*{padding} - {ConvKernel}) / {stride} + 1");
        o.Line("y[i,j] = b + sum over u, v of W[u,v] xp[s i + u, s j + v], where xp is x with p rows and columns of zeros around it");
        o.Line("loss L = 1/2 sum y^2, so dL/dy = y");

        var x = Named(Tensor.FromArray(ConvImage, [1, 1, ConvInput, ConvInput], requiresGrad: true), "x");
        var w = Named(Tensor.FromArray(ConvWeights, [1, 1, ConvKernel, ConvKernel], requiresGrad: true), "W");
        var b = Named(Tensor.FromArray(new[] { ConvBias }, [1], requiresGrad: true), "b");
        var y = Named(x.Conv2d(w, b, stride, padding), "y");
        var loss = Named(0.5 * (y * y).Sum(), "L");
        var trace = BackpropTrace.Record(loss);

        double[,] xp = Padded(ConvImage, ConvInput, padding);
        double[,] kernel = Square(ConvWeights, ConvKernel);
        int side = ConvInput + 2 * padding;
        var inputs = new TextTable("x", "W", "b") { Title = "inputs" };
        inputs.AddRow(Matrix(Square(ConvImage, ConvInput), s), Matrix(kernel, s), s.F(ConvBias));
        o.Table(inputs);

        // Forward: every output as its sum of products.
        var manualY = new double[outSize, outSize];
        var forward = new TextTable("output", "b + sum of W[u,v] * xp[s i + u, s j + v]", "value") { Title = "forward pass" };
        for (int i = 0; i < outSize; i++)
            for (int j = 0; j < outSize; j++)
            {
                var terms = new StringBuilder(s.F(ConvBias));
                double sum = ConvBias;
                for (int u = 0; u < ConvKernel; u++)
                    for (int v = 0; v < ConvKernel; v++)
                    {
                        double value = xp[stride * i + u, stride * j + v];
                        sum += kernel[u, v] * value;
                        terms.Append(" + ").Append(s.F(kernel[u, v])).Append('*').Append(s.F(value));
                    }
                manualY[i, j] = sum;
                forward.AddRow($"y[{i},{j}]", terms.ToString(), s.F(sum));
            }
        o.Table(forward);
        o.Line($"L = 1/2 sum y^2 = {s.F(loss.Item())}");

        // Backward by hand. dL/dy = y.
        var dy = manualY;
        double db = 0;
        foreach (var value in dy) db += value;
        var dw = new double[ConvKernel, ConvKernel];
        var dwTable = new TextTable("weight", "sum over i, j of dL/dy[i,j] * xp[s i + u, s j + v]", "value")
        {
            Title = "dL/dW: the correlation of the (padded) input with dL/dy, dL/dy spread by the stride",
        };
        for (int u = 0; u < ConvKernel; u++)
            for (int v = 0; v < ConvKernel; v++)
            {
                var terms = new StringBuilder();
                for (int i = 0; i < outSize; i++)
                    for (int j = 0; j < outSize; j++)
                    {
                        double value = xp[stride * i + u, stride * j + v];
                        dw[u, v] += dy[i, j] * value;
                        if (terms.Length > 0) terms.Append(" + ");
                        terms.Append(s.F(dy[i, j])).Append('*').Append(s.F(value));
                    }
                dwTable.AddRow($"dL/dW[{u},{v}]", terms.ToString(), s.F(dw[u, v]));
            }

        // dL/dx: the full convolution of dL/dy (spread by the stride) with the flipped kernel, cropped by the padding.
        var flipped = new double[ConvKernel, ConvKernel];
        for (int u = 0; u < ConvKernel; u++)
            for (int v = 0; v < ConvKernel; v++) flipped[u, v] = kernel[ConvKernel - 1 - u, ConvKernel - 1 - v];
        int spread = (outSize - 1) * stride + 1, full = spread + 2 * (ConvKernel - 1);
        var dyFull = new double[full, full];
        for (int i = 0; i < outSize; i++)
            for (int j = 0; j < outSize; j++) dyFull[ConvKernel - 1 + stride * i, ConvKernel - 1 + stride * j] = dy[i, j];
        var dxp = new double[side, side];
        for (int a = 0; a < side; a++)
            for (int c = 0; c < side; c++)
                for (int u = 0; u < ConvKernel; u++)
                    for (int v = 0; v < ConvKernel; v++)
                        if (a + u < full && c + v < full) dxp[a, c] += flipped[u, v] * dyFull[a + u, c + v];
        var dx = new double[ConvInput, ConvInput];
        for (int a = 0; a < ConvInput; a++)
            for (int c = 0; c < ConvInput; c++) dx[a, c] = dxp[a + padding, c + padding];

        var backward = new TextTable("dL/dy = y", "dL/db = sum dL/dy", "dL/dW") { Title = "backward pass" };
        backward.AddRow(Matrix(dy, s), s.F(db), Matrix(dw, s));
        o.Table(backward);
        o.Table(dwTable);
        var dxTable = new TextTable("flipped kernel", "dL/dy spread by the stride, padded by k - 1", "dL/dx (the padding cropped off)")
        {
            Title = "dL/dx: the full convolution of dL/dy with the flipped kernel",
        };
        dxTable.AddRow(Matrix(flipped, s), Matrix(dyFull, s), Matrix(dx, s));
        o.Table(dxTable);
        int centre = ConvInput / 2;
        o.Line($"for example dL/dx[{centre},{centre}] = sum over u, v of flipped[u,v] * that matrix at [{centre + padding} + u, {centre + padding} + v] = {s.F(dx[centre, centre])}");

        double largest = Math.Max(MaxDifference(Flat(manualY), y.Detach().Flatten()), Math.Max(MaxDifference(Flat(dw), w.Grad!.Flatten()),
            Math.Max(Math.Abs(db - b.Grad!.Item()), MaxDifference(Flat(dx), x.Grad!.Flatten()))));
        o.Emphasis($"autograd agrees: the largest difference over y, dL/dW, dL/db and dL/dx is {largest.ToString("G3", CultureInfo.InvariantCulture)}",
            largest < 1e-12);
        MaxPool(s);

        if (s.Trace)
        {
            o.Heading("step-by-step trace of the convolution (graph order)");
            o.Table(trace.ToTable(s.Digits, 25));
        }
        if (s.Graph is not null)
            Draw(s, trace.ToDot(new DotOptions
            {
                ShowValues = true,
                ShowGradients = true,
                Digits = 4,
                Direction = "TB",
                Title = $"conv2d {ConvInput}x{ConvInput} * {ConvKernel}x{ConvKernel}, stride {stride}, padding {padding}",
            }));
        return CommandLineErrors.Ok;
    }

    /// <summary>A 2x2 max-pool (stride 2) of the image: which element each window picks, and where its gradient goes.</summary>
    private static void MaxPool(Settings s)
    {
        var o = s.Output;
        var x = Tensor.FromArray(ConvImage, [1, 1, ConvInput, ConvInput], requiresGrad: true);
        var pooled = x.MaxPool2d(2);
        int n = pooled.Shape[2];
        var upstream = Tensor.FromArray(Enumerable.Range(1, n * n).Select(v => (double)v).ToArray(), [1, 1, n, n]);
        (pooled * upstream).Sum().Backward();
        var image = Square(ConvImage, ConvInput);
        var routed = new double[ConvInput, ConvInput];
        var windows = new TextTable("output", "window (rows, columns)", "max", "gradient goes to") { Title = "a 2x2 max-pool, stride 2: each output is the largest of its window" };
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                // The first largest element of the window, in row-major order, as PyTorch picks it on ties.
                int bestRow = 2 * i, bestColumn = 2 * j;
                for (int u = 0; u < 2; u++)
                    for (int v = 0; v < 2; v++)
                        if (image[2 * i + u, 2 * j + v] > image[bestRow, bestColumn]) (bestRow, bestColumn) = (2 * i + u, 2 * j + v);
                routed[bestRow, bestColumn] += upstream.ToArray<double>()[i * n + j];
                windows.AddRow($"m[{i},{j}]", $"{2 * i}..{2 * i + 1}, {2 * j}..{2 * j + 1}", s.F(image[bestRow, bestColumn]), $"x[{bestRow},{bestColumn}]");
            }
        o.Table(windows);
        var routing = new TextTable("dL/dm", "dL/dx: each dL/dm at its window's maximum, 0 elsewhere") { Title = "max-pool backward" };
        routing.AddRow(Matrix(Square(upstream.ToArray<double>(), n), s), Matrix(routed, s));
        o.Table(routing);
        double largest = MaxDifference(Flat(routed), x.Grad!.Flatten());
        o.Emphasis($"autograd routes it the same way: the largest difference is {largest.ToString("G3", CultureInfo.InvariantCulture)}", largest == 0);
    }

    private static double[,] Square(double[] values, int side)
    {
        var result = new double[side, side];
        for (int i = 0; i < side; i++)
            for (int j = 0; j < side; j++) result[i, j] = values[i * side + j];
        return result;
    }

    private static double[,] Padded(double[] values, int side, int padding)
    {
        var result = new double[side + 2 * padding, side + 2 * padding];
        for (int i = 0; i < side; i++)
            for (int j = 0; j < side; j++) result[i + padding, j + padding] = values[i * side + j];
        return result;
    }

    private static Tensor Flat(double[,] values) => Tensor.FromArray(values).Flatten();

    /// <summary>The matrix as the other examples print it; rounding noise of the hand sums (1e-17 for an exact 0) shows as 0.</summary>
    private static string Matrix(double[,] values, Settings s)
    {
        var cleaned = (double[,])values.Clone();
        for (int i = 0; i < cleaned.GetLength(0); i++)
            for (int j = 0; j < cleaned.GetLength(1); j++)
                if (Math.Abs(cleaned[i, j]) < 1e-12) cleaned[i, j] = 0;
        return s.M(Tensor.FromArray(cleaned));
    }
}
