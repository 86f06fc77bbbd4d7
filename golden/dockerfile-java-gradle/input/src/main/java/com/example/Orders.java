package com.example;

public class Orders {
    public static void main(String[] args) {
    }
}
