// net_profile - where OpenCV's time goes inside one network, and how fast
// OpenCV's convolution can run on this machine (the floor under any detector).
//
//   net_profile MODEL.onnx HEIGHT WIDTH [RUNS]
//
// Runs the network RUNS times (default 7) on a 1x3xHEIGHTxWIDTH input of
// random numbers (a convolution's cost does not depend on the values) and
// prints the median time, the time per layer type of the last run
// (Net::getPerfProfile), the floating-point operations of its convolutions
// (two per multiply-add, counted from each layer's weights and output size;
// OpenCV 4.6's Net::getFLOPS counts a depthwise convolution as a dense one)
// and the rate they ran at. Then the same for one 1x1 convolution of 256
// channels at 128x128, a plain matrix product and the fastest case of
// OpenCV's convolution: that rate bounds how fast any network of this
// machine's models can run. Uses OpenCV's default number of threads (all
// cores), as consentblur does. Last, three ways that did not make the network
// faster: OpenCV's int8 quantisation (Net::quantize, calibrated on the same
// input), one thread, and two instances running at once on one thread each
// (time per run).
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

cv::dnn::Net open_net(const char *path)
{
    cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
}

// Median seconds of `runs` forward passes of net on input (after one untimed pass).
double median_forward(cv::dnn::Net &net, const cv::Mat &input, int runs)
{
    std::vector<cv::Mat> outs;
    const std::vector<cv::String> names = net.getUnconnectedOutLayersNames();
    net.setInput(input);
    net.forward(outs, names);
    std::vector<double> t;
    for (int i = 0; i < runs; i++) {
        const int64 start = cv::getTickCount();
        net.setInput(input);
        net.forward(outs, names);
        t.push_back((double)(cv::getTickCount() - start) / cv::getTickFrequency());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

cv::Mat random_input(int channels, int height, int width)
{
    cv::Mat m(std::vector<int>{1, channels, height, width}, CV_32F);
    cv::randu(m, -1.0f, 1.0f);
    return m;
}

void print_layer_types(cv::dnn::Net &net)
{
    std::vector<double> ticks;
    net.getPerfProfile(ticks);
    const std::vector<cv::String> names = net.getLayerNames();
    std::map<std::string, double> ms_by_type;
    for (size_t i = 0; i < ticks.size() && i < names.size(); i++) {
        const cv::Ptr<cv::dnn::Layer> layer = net.getLayer(net.getLayerId(names[i]));
        ms_by_type[layer->type] += ticks[i] * 1000.0 / cv::getTickFrequency();
    }
    for (const auto &kv : ms_by_type)
        if (kv.second >= 0.05)
            std::printf("  %-12s %8.1f ms\n", kv.first.c_str(), kv.second);
}

// Floating-point operations of net's convolutions on an input of this shape.
double conv_flop(cv::dnn::Net &net, const cv::dnn::MatShape &input)
{
    double flop = 0;
    for (const cv::String &name : net.getLayerNames()) {
        const int id = net.getLayerId(name);
        const cv::Ptr<cv::dnn::Layer> layer = net.getLayer(id);
        if (layer->type != "Convolution" || layer->blobs.empty())
            continue;
        std::vector<cv::dnn::MatShape> in, out;
        net.getLayerShapes(input, id, in, out);
        double outputs = 1;
        for (int d : out[0])
            outputs *= d;
        const cv::Mat &w = layer->blobs[0]; /* Cout x Cin/groups x kh x kw */
        flop += 2.0 * outputs * w.size[1] * w.size[2] * w.size[3];
    }
    return flop;
}

// One 256-channel 1x1 convolution at 128x128: OpenCV's best case.
void print_gemm_rate(int runs)
{
    const int channels = 256, side = 128;
    cv::dnn::LayerParams lp;
    lp.name = "gemm";
    lp.type = "Convolution";
    lp.set("kernel_size", 1);
    lp.set("num_output", channels);
    lp.set("bias_term", false);
    cv::Mat weights(std::vector<int>{channels, channels, 1, 1}, CV_32F);
    cv::randu(weights, -1.0f, 1.0f);
    lp.blobs.push_back(weights);
    cv::dnn::Net net;
    net.addLayerToPrev(lp.name, lp.type, lp);
    const cv::Mat input = random_input(channels, side, side);
    const double s = median_forward(net, input, runs);
    const double flop = 2.0 * channels * channels * side * side;
    std::printf("1x1 convolution, %d channels at %dx%d: %.1f ms, %.1f GFLOPS\n", channels, side,
                side, s * 1e3, flop / s / 1e9);
}

// Seconds per run of net and a second instance of its model running at
// once, each `runs` times (after one run each, untimed, one after the other).
double two_at_once(cv::dnn::Net &net, const char *model, const cv::Mat &input, int runs)
{
    cv::dnn::Net nets[2] = {net, open_net(model)};
    median_forward(nets[1], input, 1);
    const int64 start = cv::getTickCount();
    std::thread other([&]() { median_forward(nets[1], input, runs); });
    median_forward(nets[0], input, runs);
    other.join();
    return (double)(cv::getTickCount() - start) / cv::getTickFrequency() / (2.0 * (runs + 1));
}

void print_alternatives(cv::dnn::Net &net, const char *model, const cv::Mat &input, int runs,
                        double float_s)
{
    /* quantised from an instance of its own, so that net stays as it was */
    cv::dnn::Net int8 = open_net(model).quantize(std::vector<cv::Mat>{input}, CV_32F, CV_32F);
    int8.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    const double int8_s = median_forward(int8, input, runs);
    std::printf("int8 (Net::quantize): %.1f ms, %.2fx the float time\n", int8_s * 1e3,
                int8_s / float_s);
    const int threads = cv::getNumThreads();
    cv::setNumThreads(1);
    const double one_s = median_forward(net, input, runs);
    std::printf("one thread: %.1f ms, %.2fx\n", one_s * 1e3, one_s / float_s);
    const double two_s = two_at_once(net, model, input, runs);
    std::printf("two at once, one thread each: %.1f ms per run, %.2fx\n", two_s * 1e3,
                two_s / float_s);
    cv::setNumThreads(threads);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: %s MODEL.onnx HEIGHT WIDTH [RUNS]\n", argv[0]);
        return 2;
    }
    const int height = std::atoi(argv[2]), width = std::atoi(argv[3]);
    const int runs = argc == 5 ? std::atoi(argv[4]) : 7;
    if (height < 32 || width < 32 || runs < 1) {
        std::fprintf(stderr, "net_profile: HEIGHT and WIDTH from 32, RUNS from 1\n");
        return 2;
    }
    try {
        cv::dnn::Net net = open_net(argv[1]);
        const std::vector<int> shape{1, 3, height, width};
        const cv::Mat input = random_input(3, height, width);
        const double s = median_forward(net, input, runs);
        const double flop = conv_flop(net, shape);
        const double mp = height * (double)width / 1e6;
        std::printf("%s at %dx%d (%.2f MP), %d threads: median %.1f ms of %d runs, "
                    "%.2f GFLOP (%.2f per MP), %.1f GFLOPS\n",
                    argv[1], width, height, mp, cv::getNumThreads(), s * 1e3, runs, flop / 1e9,
                    flop / 1e9 / mp, flop / s / 1e9);
        std::printf("time per layer type, last run:\n");
        print_layer_types(net);
        print_gemm_rate(runs);
        print_alternatives(net, argv[1], input, runs, s);
    } catch (const cv::Exception &e) {
        std::fprintf(stderr, "net_profile: %s\n", e.what());
        return 1;
    }
    return 0;
}
