public class Demo {
}
